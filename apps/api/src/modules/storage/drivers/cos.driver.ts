import COS from 'cos-nodejs-sdk-v5';
import cosUtil from 'cos-nodejs-sdk-v5/sdk/util.js';
import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { say } from '../../../common/language.js';
import { contain } from '../../../common/process-guard.js';
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

/** Set on an SDK result whose body was not COS's XML (see guardResponseParsing). */
const NOT_COS_ANSWER = '__atelierNotCosAnswer';

/**
 * cos-nodejs-sdk-v5 (3.0.0, the latest) hands a 2xx body that is neither XML nor a JSON object on as
 * a bare string, then sets `statusCode` on it inside its own response listener: with a CDN page or a
 * proxy's `200 ok` in front of the bucket that throws `Cannot create property 'statusCode' on
 * string` where nothing can catch it, and the call never settles. Its parser is wrapped once so
 * such a body comes back as an object marked NOT_COS_ANSWER, which `call` then refuses.
 */
function guardResponseParsing(): void {
  const parse = cosUtil.parseResBody;
  if (typeof parse !== 'function' || (parse as { guarded?: boolean }).guarded) return;
  const guarded = (body: unknown) => {
    const parsed = parse(body);
    return typeof parsed === 'object' && parsed !== null ? parsed : { [NOT_COS_ANSWER]: String(parsed) };
  };
  cosUtil.parseResBody = Object.assign(guarded, { guarded: true });
}
guardResponseParsing();

type SdkMethod = 'putObject' | 'deleteObject' | 'getObject' | 'headObject' | 'headBucket' | 'multipartInit' | 'multipartUpload' | 'multipartComplete' | 'multipartAbort';

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

  /**
   * Every SDK call goes through here, so nothing the SDK does can escape as anything but a
   * StorageError: a synchronous throw, a rejection, an exception thrown later from one of its own
   * callbacks or listeners (contained: the process guard hands it to this call), and an answer that
   * is not COS's (a 2xx whose body is not COS XML, a write without an ETag).
   */
  private call<T extends object>(method: SdkMethod, params: object, expectEtag = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (error: unknown) => reject(explain(error));
      contain(fail, () => {
        try {
          const pending = (this.cos[method] as (params: object) => Promise<T>).call(this.cos, params);
          pending.then((result) => {
            const refused = notCosAnswer(result, expectEtag);
            if (refused) fail(refused);
            else resolve(result);
          }, fail);
        } catch (error) {
          fail(error);
        }
      });
    });
  }

  async put(key: string, body: Readable | ByteSource | Buffer, meta: { contentType: string }): Promise<PutResult> {
    if (Buffer.isBuffer(body) && body.length <= COS_PART_SIZE) {
      try {
        await this.call('putObject', { ...this.target(key), Body: body, ContentLength: body.length, ContentType: meta.contentType }, true);
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
        await this.call('putObject', { ...this.target(key), Body: data, ContentLength: data.length, ContentType: meta.contentType }, true);
        return { size: data.length };
      }
      const { UploadId } = await this.call<{ UploadId?: string }>('multipartInit', { ...this.target(key), ContentType: meta.contentType });
      if (!UploadId) throw new StorageError('other', 'COS started no multipart upload (its answer has no UploadId)');
      const parts: Array<{ PartNumber: number; ETag: string }> = [];
      let size = 0;
      try {
        for (let number = 1; length > 0; number++) {
          const data = part.subarray(0, length);
          const { ETag } = await this.call<{ ETag: string }>('multipartUpload', { ...this.target(key), UploadId, PartNumber: number, Body: data, ContentLength: data.length }, true);
          parts.push({ PartNumber: number, ETag });
          size += length;
          // The SDK is done with the buffer once the part is stored: the next part goes in it.
          const carried = probed;
          if (carried > 0) probe.copy(part, 0, 0, carried);
          probed = 0;
          length = length < COS_PART_SIZE ? 0 : carried + (await readFully(source, part.subarray(carried)));
        }
        await this.call('multipartComplete', { ...this.target(key), UploadId, Parts: parts }, true);
      } catch (error) {
        await this.call('multipartAbort', { ...this.target(key), UploadId }).catch(() => undefined);
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
      await this.call('deleteObject', this.target(key));
    } catch (error) {
      throw explain(error);
    }
  }

  async read(key: string): Promise<Readable> {
    const output = new PassThrough();
    this.call('getObject', { ...this.target(key), Output: output }).catch((error: unknown) => output.destroy(explain(error)));
    return output;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const result = await this.call<{ headers?: Record<string, unknown> }>('headObject', this.target(key));
      return { size: Number(result.headers?.['content-length'] ?? 0), contentType: (result.headers?.['content-type'] as string) ?? null };
    } catch (error) {
      // A missing object is an error with statusCode 404, not a NoSuchKey code (cos.md §7.4).
      if (error instanceof StorageError ? error.status === 404 : (error as CosSdkError).statusCode === 404) return null;
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
      await this.call('headBucket', { Bucket: this.options.bucket, Region: this.options.region });
    } catch (error) {
      // HEAD answers carry no body, so a 403 does not say why; a probe write does.
      if (error instanceof StorageError && error.status === 403) {
        await this.call('putObject', { ...this.target(probe), Body: Buffer.from('probe'), ContentLength: 5, ContentType: 'text/plain' }, true).then(() =>
          this.call('deleteObject', this.target(probe)),
        );
      }
      throw error;
    }
    try {
      await this.call('putObject', { ...this.target(probe), Body: Buffer.from('probe'), ContentLength: 5, ContentType: 'text/plain' }, true);
      await this.call('deleteObject', this.target(probe));
    } catch (error) {
      throw explain(error);
    }
  }
}

/** What COS said, in its own words. */
const detailOf = (e: CosSdkError) => (typeof e.error === 'object' && e.error?.Message) || e.message || '';


/** Why a result the SDK took for success is no COS answer, or null when it is one. */
function notCosAnswer(result: unknown, expectEtag: boolean): StorageError | null {
  if (typeof result !== 'object' || result === null) return new StorageError('other', say('COS gave no answer that could be read', 'COS 没有给出可读的回答'));
  const answer = result as { [NOT_COS_ANSWER]?: string; statusCode?: number; ETag?: string; headers?: Record<string, unknown> };
  const status = answer.statusCode ?? 200;
  const contentType = typeof answer.headers?.['content-type'] === 'string' ? ` (${answer.headers['content-type']})` : '';
  if (typeof answer[NOT_COS_ANSWER] === 'string') {
    const excerpt = JSON.stringify(answer[NOT_COS_ANSWER].slice(0, 60));
    return new StorageError(
      'other',
      say(
        `COS answered ${status}${contentType} with ${excerpt}, which is not a COS answer: check the region and the custom domain (is it a CDN or another server?)`,
        `COS 返回了 ${status}${contentType} ${excerpt}，这不是 COS 的回答：请检查地域和自定义域名（是否指向了 CDN 或其他服务器？）`,
      ),
    );
  }
  if (expectEtag && !answer.ETag && !answer.headers?.etag) {
    return new StorageError(
      'other',
      say(
        `COS answered ${status}${contentType} without an ETag, so the write is not confirmed: check the region and the custom domain (is it a CDN or another server?)`,
        `COS 返回了 ${status}${contentType} 但没有 ETag，写入未被确认：请检查地域和自定义域名（是否指向了 CDN 或其他服务器？）`,
      ),
    );
  }
  return null;
}

/** COS errors in plain words for admins, in the request's language (COS's own words kept). */
export function explain(error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const e = (error ?? {}) as CosSdkError;
  const detail = typeof e.error === 'object' ? e.error?.Code : undefined;
  const code = detail ?? e.code ?? '';
  const status = e.statusCode;
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidSecretId'].includes(code)) {
    return new StorageError('credentials', say(`COS refused the keys (${code}): check the SecretId and SecretKey`, `COS 拒绝了密钥（${code}）：请检查 SecretId 和 SecretKey`), status);
  }
  if (code === 'AccessDenied' || status === 403) return new StorageError('credentials', say(`COS denied access (${code || 403}): check the keys and the bucket's permissions`, `COS 拒绝访问（${code || 403}）：请检查密钥和存储桶的权限`), status);
  if (code === 'NoSuchBucket' || (status === 404 && !detail)) return new StorageError('bucket', say('The bucket was not found: check its name (name-appid) and region', '找不到存储桶：请检查其名称（name-appid）和地域'), status);
  if (['PermanentRedirect', 'InvalidRegion', 'IllegalRegion'].includes(code) || status === 301) {
    return new StorageError('region', say(`The bucket is not in this region (${code || status}): check the region`, `存储桶不在此地域（${code || status}）：请检查地域`), status);
  }
  if (!status) {
    const message = e.message ?? (typeof e.error === 'string' ? e.error : String(error));
    if (/Bucket should format|Region/.test(message)) return new StorageError('config', message);
    // Thrown inside the SDK rather than an answer from COS (see guardResponseParsing).
    if (error instanceof TypeError) return new StorageError('other', say(`COS's answer could not be read (${message}): check the region and the custom domain`, `无法读取 COS 的回答（${message}）：请检查地域和自定义域名`));
    return new StorageError('network', say(`COS could not be reached: ${message}`, `无法连接 COS：${message}`));
  }
  return new StorageError('other', say(`COS answered ${status}${code ? ` ${code}` : ''}: ${detailOf(e)}`.trim(), `COS 返回 ${status}${code ? ` ${code}` : ''}：${detailOf(e)}`.trim()), status);
}
