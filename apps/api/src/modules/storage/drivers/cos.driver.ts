import COS from 'cos-nodejs-sdk-v5';
import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { say } from '../../../common/language.js';
import { type ByteSource, bufferSource, isByteSource, readableSource, readFully } from '../byte-source.js';
import { type ObjectInfo, type PutResult, type StorageDriver, StorageError } from './storage-driver.js';

export interface CosDriverOptions {
  secretId: string;
  secretKey: string;
  region: string;
  /** `name-appid` (cos.md §1). */
  bucket: string;
  /** Custom domain, may use `{Bucket}`/`{Region}` (e.g. the sandbox's `host:port/sandbox/cos/{Bucket}`). */
  domain?: string | null;
  protocol?: 'http:' | 'https:';
  timeoutMs?: number;
}

/** Parts are read into one reused buffer, so memory stays bounded whatever the file size. */
export const COS_PART_SIZE = 4 * 1024 * 1024;
/** Read past a full first part to tell a one-part file (a simple upload) from a larger one. */
const PROBE_BYTES = 64 * 1024;

interface CosSdkError {
  code?: string;
  statusCode?: number;
  message?: string;
  error?: { Code?: string; Message?: string } | string;
}

/** Tencent COS through cos-nodejs-sdk-v5 (../shared/providers/cos.md). */
export class CosStorageDriver implements StorageDriver {
  readonly name = 'cos' as const;
  private readonly cos: COS;
  private readonly publicBase: string;
  readonly publiclyReachable: boolean;

  constructor(private readonly options: CosDriverOptions) {
    const protocol = options.protocol ?? 'https:';
    this.cos = new COS({
      SecretId: options.secretId,
      SecretKey: options.secretKey,
      Domain: options.domain || undefined,
      Protocol: protocol,
      Timeout: options.timeoutMs ?? 60_000,
      // Our own retries belong to the callers; the SDK's host switching only confuses custom domains.
      AutoSwitchHost: false,
    });
    const host = options.domain
      ? options.domain.replaceAll('{Bucket}', options.bucket).replaceAll('{Region}', options.region)
      : `${options.bucket}.cos.${options.region}.myqcloud.com`;
    this.publicBase = `${protocol}//${host}`;
    this.publiclyReachable = !/^(localhost|127\.|\[::1\])/.test(host);
  }

  private target(key: string) {
    return { Bucket: this.options.bucket, Region: this.options.region, Key: key };
  }

  async put(key: string, body: Readable | ByteSource | Buffer, meta: { contentType: string }): Promise<PutResult> {
    if (Buffer.isBuffer(body) && body.length <= COS_PART_SIZE) {
      try {
        await this.cos.putObject({ ...this.target(key), Body: body, ContentLength: body.length, ContentType: meta.contentType });
        return { size: body.length };
      } catch (error) {
        throw explain(error);
      }
    }
    const source = Buffer.isBuffer(body) ? bufferSource(body) : isByteSource(body) ? body : readableSource(body);
    // One part buffer, reused: a part is sent before the next is read. A few bytes read past a full
    // part say whether there is more; they start the next part.
    const part = Buffer.allocUnsafeSlow(COS_PART_SIZE);
    const probe = Buffer.allocUnsafeSlow(PROBE_BYTES);
    try {
      let length = await readFully(source, part);
      let probed = length < COS_PART_SIZE ? 0 : await source.read(probe);
      if (probed === 0) {
        // Fits in one part: one simple request.
        const data = part.subarray(0, length);
        await this.cos.putObject({ ...this.target(key), Body: data, ContentLength: data.length, ContentType: meta.contentType });
        return { size: data.length };
      }
      const { UploadId } = await this.cos.multipartInit({ ...this.target(key), ContentType: meta.contentType });
      const parts: Array<{ PartNumber: number; ETag: string }> = [];
      let size = 0;
      try {
        for (let number = 1; length > 0; number++) {
          const data = part.subarray(0, length);
          const { ETag } = await this.cos.multipartUpload({ ...this.target(key), UploadId, PartNumber: number, Body: data, ContentLength: data.length });
          parts.push({ PartNumber: number, ETag });
          size += length;
          // The SDK is done with the buffer once the part is stored: the next part goes in it.
          const carried = probed;
          if (carried > 0) probe.copy(part, 0, 0, carried);
          probed = 0;
          length = length < COS_PART_SIZE ? 0 : carried + (await readFully(source, part.subarray(carried)));
        }
        await this.cos.multipartComplete({ ...this.target(key), UploadId, Parts: parts });
      } catch (error) {
        await this.cos.multipartAbort({ ...this.target(key), UploadId }).catch(() => undefined);
        throw error;
      }
      return { size };
    } catch (error) {
      source.destroy();
      throw explain(error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.cos.deleteObject(this.target(key));
    } catch (error) {
      throw explain(error);
    }
  }

  async read(key: string): Promise<Readable> {
    const output = new PassThrough();
    this.cos.getObject({ ...this.target(key), Output: output }).catch((error: unknown) => output.destroy(explain(error)));
    return output;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const result = await this.cos.headObject(this.target(key));
      return { size: Number(result.headers?.['content-length'] ?? 0), contentType: (result.headers?.['content-type'] as string) ?? null };
    } catch (error) {
      // A missing object is an error with statusCode 404, not a NoSuchKey code (cos.md §7.4).
      if ((error as CosSdkError).statusCode === 404) return null;
      throw explain(error);
    }
  }

  url(key: string): string {
    // camSafeUrlEncode: encodeURIComponent plus !'()*, keeping slashes (cos.md §3).
    const encoded = encodeURIComponent(key)
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .replace(/%2F/g, '/');
    return `${this.publicBase}/${encoded}`;
  }

  async test(): Promise<void> {
    const probe = `.atelier-probe/${randomBytes(8).toString('hex')}`;
    try {
      await this.cos.headBucket({ Bucket: this.options.bucket, Region: this.options.region });
    } catch (error) {
      // HEAD answers carry no body, so a 403 does not say why; a probe write does.
      if ((error as CosSdkError).statusCode === 403) {
        await this.cos
          .putObject({ ...this.target(probe), Body: Buffer.from('probe'), ContentLength: 5, ContentType: 'text/plain' })
          .then(() => this.cos.deleteObject(this.target(probe)))
          .catch((detailed: unknown) => {
            throw explain(detailed);
          });
      }
      throw explain(error);
    }
    try {
      await this.cos.putObject({ ...this.target(probe), Body: Buffer.from('probe'), ContentLength: 5, ContentType: 'text/plain' });
      await this.cos.deleteObject(this.target(probe));
    } catch (error) {
      throw explain(error);
    }
  }
}

/** What COS said, in its own words. */
const detailOf = (e: CosSdkError) => (typeof e.error === 'object' && e.error?.Message) || e.message || '';

/** COS errors in plain words for admins, in the request's language (COS's own words kept). */
export function explain(error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const e = (error ?? {}) as CosSdkError;
  const detail = typeof e.error === 'object' ? e.error?.Code : undefined;
  const code = detail ?? e.code ?? '';
  const status = e.statusCode;
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidSecretId'].includes(code)) {
    return new StorageError('credentials', say(`COS refused the keys (${code}): check the SecretId and SecretKey`, `COS 拒绝了密钥（${code}）：请检查 SecretId 和 SecretKey`));
  }
  if (code === 'AccessDenied' || status === 403) return new StorageError('credentials', say(`COS denied access (${code || 403}): check the keys and the bucket's permissions`, `COS 拒绝访问（${code || 403}）：请检查密钥和存储桶的权限`));
  if (code === 'NoSuchBucket' || (status === 404 && !detail)) return new StorageError('bucket', say('The bucket was not found: check its name (name-appid) and region', '找不到存储桶：请检查其名称（name-appid）和地域'));
  if (['PermanentRedirect', 'InvalidRegion', 'IllegalRegion'].includes(code) || status === 301) {
    return new StorageError('region', say(`The bucket is not in this region (${code || status}): check the region`, `存储桶不在此地域（${code || status}）：请检查地域`));
  }
  if (!status) {
    const message = e.message ?? (typeof e.error === 'string' ? e.error : String(error));
    if (/Bucket should format|Region/.test(message)) return new StorageError('config', message);
    return new StorageError('network', say(`COS could not be reached: ${message}`, `无法连接 COS：${message}`));
  }
  return new StorageError('other', say(`COS answered ${status}${code ? ` ${code}` : ''}: ${detailOf(e)}`.trim(), `COS 返回 ${status}${code ? ` ${code}` : ''}：${detailOf(e)}`.trim()));
}
