/**
 * The sandbox's fixed credentials. They are public on purpose (documented in the README): the
 * sandbox only ever stands in for a provider, and rejects anything else as the provider would.
 */
export const SANDBOX_CREDENTIALS = {
  fal: { key: 'sandbox-fal-key' },
  smsbao: { username: 'sandbox', password: 'sandbox-sms-password' },
  cos: {
    secretId: 'AKIDsandboxAtelier0000000000000000000',
    secretKey: 'sandboxAtelierSecretKey0000000000',
    bucket: 'atelier-1250000000',
    region: 'ap-guangzhou',
  },
  /** midjourney-proxy: novicezk's `mj-api-secret`, or trueai's raw `Authorization` token. */
  midjourney: { secret: 'sandbox-mj-secret' },
  /** Kling: the AccessKey (the JWT's `iss`) and SecretKey (its HS256 key). */
  kling: { accessKey: 'sandbox-kling-access-key', secretKey: 'sandbox-kling-secret-key' },
  /** Volcengine (Jimeng visual API): the AccessKeyId and SecretAccessKey of the V4 signature. */
  volcengine: { accessKeyId: 'AKLTsandboxAtelierVolcengine000000', secretAccessKey: 'c2FuZGJveEF0ZWxpZXJWb2xjZW5naW5lU2VjcmV0S2V5MDA=' },
} as const;
