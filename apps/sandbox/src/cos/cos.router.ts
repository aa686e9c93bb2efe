import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response, type Router } from 'express';
import type { SandboxContext } from '../context.js';
import { SANDBOX_CREDENTIALS } from '../credentials.js';
import { type FaultRegistry, providerMiddleware } from '../faults.js';
import { CosError, cosErrors } from './errors.js';
import { evaluatePreconditions, parseRange } from './http-rules.js';
import { type CosTarget, parseCosTarget } from './object-path.js';
import { verifyRequest } from './signature.js';
import { CosBucketStore, MAX_PART_NUMBER, type ObjectAttributes, type StoredObject, type StoredPart, type UploadSession } from './store.js';
import { errorXml, parseCompleteMultipartUpload, xmlDocument } from './xml.js';

const REQUEST_ID_HEADER = 'x-cos-request-id';
/** Headers stored with an object and sent back on GET/HEAD, as COS does. */
const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'] as const;
/** `response-*` query parameters override these headers of a GET (cos.md §4.1 example 2 signs two). */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};
/** Object sub-resources of the real API the sandbox does not stand in for. */
const UNSUPPORTED_SUBRESOURCES = ['acl', 'tagging', 'restore', 'append', 'select', 'torrent', 'symlink', 'versions', 'ci-process'];
const MAX_COMPLETE_XML_BYTES = 4 * 1024 * 1024;
/** The account that owns the sandbox bucket, in the shape COS lists owners and initiators. */
const SANDBOX_OWNER = { UIN: '100000000001', ID: 'qcs::cam::uin/100000000001:uin/100000000001', DisplayName: '100000000001' };

/**
 * Every response, injected faults included, carries a request id: the SDK reads `RequestId` from
 * it, and treats error answers without one as network errors to retry (cos.md §5, §7.8).
 * Shaped like COS ids: base64 text.
 */
function requestIdOf(res: Response): string {
  const existing = res.getHeader(REQUEST_ID_HEADER);
  if (typeof existing === 'string') return existing;
  const id = Buffer.from(`${Math.floor(Date.now() / 1000).toString(16)}_${randomBytes(9).toString('hex')}`).toString('base64');
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

function sendError(req: Request, res: Response, error: unknown): void {
  const cosError = error instanceof CosError ? error : cosErrors.internal();
  if (!(error instanceof CosError)) console.error('[sandbox/cos] unexpected error', error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const requestId = requestIdOf(res);
  const resource = `${req.headers.host ?? ''}${req.originalUrl.split('?')[0]}`;
  const body = errorXml(cosError.code, cosError.message, resource, requestId);
  res.status(cosError.status);
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  // HEAD answers carry no body, so the SDK reports them by status only (`code: '404'`).
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendXml(res: Response, root: string, value: Parameters<typeof xmlDocument>[1]): void {
  const body = xmlDocument(root, value);
  res.status(200).setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function attributesFrom(headers: IncomingHttpHeaders): ObjectAttributes {
  const stored: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = header(headers, name);
    // The SDK sends `Cache-Control: ''` on purpose (base.js putObject); an empty value is not metadata.
    if (value) stored[name] = value;
  }
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-cos-meta-') && value !== undefined) meta[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // COS's stored type for an untyped PUT is unconfirmed (cos.md §7.7); octet-stream is the safe guess.
  return { contentType: header(headers, 'content-type') || 'application/octet-stream', headers: stored, meta };
}

function declaredLength(req: Request): number | undefined {
  const value = req.headers['content-length'];
  if (value === undefined) return undefined;
  const length = Number(value);
  if (!Number.isSafeInteger(length) || length < 0) throw cosErrors.invalidArgument('Content-Length is not a valid length.');
  return length;
}

/**
 * The raw request stream. If a body parser mounted before the sandbox already read it, the bytes
 * are gone; refusing is better than storing an empty or re-serialized object.
 */
function rawBody(req: Request): Readable {
  if (req.readableEnded) {
    if ((declaredLength(req) ?? 0) > 0 || req.headers['transfer-encoding']) {
      throw cosErrors.internal('The request body was already consumed by a body parser mounted before the sandbox; mount the sandbox router before express.json()/express.raw().');
    }
    return Readable.from([]);
  }
  return req;
}

async function readSmallBody(req: Request, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of rawBody(req)) {
    size += (chunk as Buffer).length;
    if (size > limit) throw cosErrors.malformedXml();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function setCors(req: Request, res: Response): void {
  const origin = req.headers.origin;
  if (!origin) return;
  // Stands in for a bucket whose CORS rule allows any origin, so browsers can use presigned URLs.
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', 'ETag, Content-Length, Content-Range, Content-Type, Last-Modified, x-cos-request-id');
}

function preflight(req: Request, res: Response): void {
  res.setHeader('Access-Control-Allow-Methods', 'GET, PUT, POST, DELETE, HEAD');
  const requested = req.headers['access-control-request-headers'];
  if (requested) res.setHeader('Access-Control-Allow-Headers', requested);
  res.setHeader('Access-Control-Max-Age', '600');
  res.status(200).setHeader('Content-Length', '0');
  res.end();
}

function queryValue(target: CosTarget, name: string): string | undefined {
  return target.query.find(([n]) => n === name)?.[1];
}

function hasParam(target: CosTarget, name: string): boolean {
  return target.query.some(([n]) => n === name);
}

function objectHeaders(res: Response, object: StoredObject): void {
  res.setHeader('ETag', object.etag);
  res.setHeader('Last-Modified', new Date(object.lastModified).toUTCString());
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', object.contentType);
  for (const [name, value] of Object.entries(object.headers)) res.setHeader(name, value);
  for (const [name, value] of Object.entries(object.meta)) res.setHeader(name, value);
}

class CosHandlers {
  constructor(
    private readonly store: CosBucketStore,
    private readonly bucket: string,
    private readonly region: string,
  ) {}

  async dispatch(req: Request, res: Response, target: CosTarget): Promise<void> {
    const method = req.method;
    if (target.key === '') {
      if (method === 'HEAD') return void res.status(200).setHeader('x-cos-bucket-region', this.region).setHeader('Content-Length', '0').end();
      if (method === 'GET' && hasParam(target, 'uploads')) return this.listUploads(res, target);
      throw cosErrors.notImplemented();
    }
    if (UNSUPPORTED_SUBRESOURCES.some((name) => hasParam(target, name))) throw cosErrors.notImplemented();
    const uploadId = queryValue(target, 'uploadId');
    switch (method) {
      case 'GET':
        return uploadId !== undefined ? this.listParts(res, target, await this.session(target, uploadId)) : this.getObject(req, res, target);
      case 'HEAD':
        return this.getObject(req, res, target);
      case 'PUT':
        if (req.headers['x-cos-copy-source']) throw cosErrors.notImplemented();
        return uploadId !== undefined ? this.uploadPart(req, res, target, await this.session(target, uploadId)) : this.putObject(req, res, target);
      case 'POST':
        if (hasParam(target, 'uploads')) return this.initiate(req, res, target);
        if (uploadId !== undefined) return this.complete(req, res, target, await this.session(target, uploadId));
        throw cosErrors.notImplemented();
      case 'DELETE':
        if (uploadId !== undefined) {
          await this.store.abortUpload(await this.session(target, uploadId));
        } else {
          // Deleting a missing key succeeds too (cos.md §7.5).
          await this.store.delete(target.key);
        }
        return void res.status(204).end();
      default:
        throw cosErrors.methodNotAllowed();
    }
  }

  private async session(target: CosTarget, uploadId: string): Promise<UploadSession> {
    const session = await this.store.getUpload(uploadId);
    if (!session || session.key !== target.key) throw cosErrors.noSuchUpload();
    return session;
  }

  private async getObject(req: Request, res: Response, target: CosTarget): Promise<void> {
    const opened = await this.store.open(target.key);
    if (!opened) throw cosErrors.noSuchKey();
    const { object, handle } = opened;
    let handedOver = false;
    try {
      const condition = evaluatePreconditions(
        {
          ifMatch: header(req.headers, 'if-match'),
          ifNoneMatch: header(req.headers, 'if-none-match'),
          ifModifiedSince: header(req.headers, 'if-modified-since'),
          ifUnmodifiedSince: header(req.headers, 'if-unmodified-since'),
        },
        object.etag,
        new Date(object.lastModified),
      );
      if (condition === 412) throw cosErrors.preconditionFailed();
      objectHeaders(res, object);
      if (condition === 304) return void res.status(304).end();
      if (req.method === 'HEAD') return void res.status(200).setHeader('Content-Length', String(object.size)).end();

      for (const [param, headerName] of Object.entries(RESPONSE_OVERRIDES)) {
        const value = queryValue(target, param);
        if (value !== undefined) res.setHeader(headerName, value);
      }
      const range = parseRange(header(req.headers, 'range'), object.size);
      if (range.kind === 'unsatisfiable') {
        res.setHeader('Content-Range', `bytes */${object.size}`);
        throw cosErrors.invalidRange();
      }
      const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, object.size - 1];
      if (range.kind === 'partial') {
        res.status(206).setHeader('Content-Range', `bytes ${start}-${end}/${object.size}`);
      } else {
        res.status(200);
      }
      res.setHeader('Content-Length', String(end - start + 1));
      if (end < start) return void res.end();
      handedOver = true;
      await pipeline(handle.createReadStream({ start, end, autoClose: true }), res).catch(() => {
        // The client went away mid-download; nothing left to answer.
      });
    } finally {
      if (!handedOver) await handle.close();
    }
  }

  private async putObject(req: Request, res: Response, target: CosTarget): Promise<void> {
    const object = await this.store.put(target.key, rawBody(req), attributesFrom(req.headers), {
      declaredLength: declaredLength(req),
      contentMd5: header(req.headers, 'content-md5'),
    });
    res.status(200).setHeader('ETag', object.etag);
    res.setHeader('Content-Length', '0');
    res.end();
  }

  private async initiate(req: Request, res: Response, target: CosTarget): Promise<void> {
    const session = await this.store.initiateUpload(target.key, attributesFrom(req.headers));
    sendXml(res, 'InitiateMultipartUploadResult', { Bucket: this.bucket, Key: target.key, UploadId: session.uploadId });
  }

  private async uploadPart(req: Request, res: Response, target: CosTarget, session: UploadSession): Promise<void> {
    const partNumber = Number(queryValue(target, 'partNumber'));
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw cosErrors.invalidArgument(`partNumber must be an integer from 1 to ${MAX_PART_NUMBER}.`);
    }
    const part = await this.store.uploadPart(session, partNumber, rawBody(req), {
      declaredLength: declaredLength(req),
      contentMd5: header(req.headers, 'content-md5'),
    });
    res.status(200).setHeader('ETag', part.etag);
    res.setHeader('Content-Length', '0');
    res.end();
  }

  private async complete(req: Request, res: Response, target: CosTarget, session: UploadSession): Promise<void> {
    const parts = parseCompleteMultipartUpload(await readSmallBody(req, MAX_COMPLETE_XML_BYTES));
    if (!parts) throw cosErrors.malformedXml();
    const object = await this.store.completeUpload(session, parts);
    // Like COS, a Location without scheme: host plus the object path as requested.
    const location = `${req.headers.host ?? ''}${req.baseUrl}${req.url.split('?')[0]}`;
    sendXml(res, 'CompleteMultipartUploadResult', { Location: location, Bucket: this.bucket, Key: target.key, ETag: object.etag });
  }

  private async listParts(res: Response, target: CosTarget, session: UploadSession): Promise<void> {
    const marker = Number(queryValue(target, 'part-number-marker') ?? 0) || 0;
    const maxParts = Math.min(Math.max(Number(queryValue(target, 'max-parts') ?? 1000) || 1000, 1), 1000);
    const after = (await this.store.listParts(session)).filter((part) => part.partNumber > marker);
    const page = after.slice(0, maxParts);
    const truncated = after.length > page.length;
    sendXml(res, 'ListPartsResult', {
      Bucket: this.bucket,
      Key: session.key,
      UploadId: session.uploadId,
      StorageClass: 'STANDARD',
      PartNumberMarker: marker,
      NextPartNumberMarker: page.length > 0 ? page[page.length - 1].partNumber : marker,
      MaxParts: maxParts,
      IsTruncated: truncated,
      Part: page.map((part: StoredPart) => ({ PartNumber: part.partNumber, LastModified: part.lastModified, ETag: part.etag, Size: part.size })),
    });
  }

  private async listUploads(res: Response, target: CosTarget): Promise<void> {
    const prefix = queryValue(target, 'prefix') ?? '';
    const uploads = await this.store.listUploads(prefix);
    sendXml(res, 'ListMultipartUploadsResult', {
      Bucket: this.bucket,
      Prefix: prefix,
      KeyMarker: '',
      UploadIdMarker: '',
      NextKeyMarker: '',
      NextUploadIdMarker: '',
      MaxUploads: 1000,
      IsTruncated: false,
      Upload: uploads.map((upload) => ({
        Key: upload.key,
        UploadId: upload.uploadId,
        StorageClass: 'STANDARD',
        Initiator: SANDBOX_OWNER,
        Owner: SANDBOX_OWNER,
        Initiated: upload.initiated,
      })),
    });
  }
}

/**
 * The Tencent COS stand-in, mounted at `/sandbox/cos`: one bucket (`SANDBOX_CREDENTIALS.cos`),
 * path-style (`/{Bucket}/{Key}`), every request signature-checked like COS. Point the real SDK at
 * it with `Domain: '<host>:<port>/sandbox/cos/{Bucket}', Protocol: 'http:'`.
 */
export function cosRouter(context: SandboxContext, faults: FaultRegistry): Router {
  const credentials = SANDBOX_CREDENTIALS.cos;
  const handlers = new CosHandlers(new CosBucketStore(context.dir('cos', credentials.bucket)), credentials.bucket, credentials.region);
  const router = express.Router();
  router.use(
    providerMiddleware(context, faults, 'cos', (res, status) => {
      setCors(res.req, res);
      sendError(res.req, res, status === 500 ? cosErrors.internal() : cosErrors.slowDown());
    }),
  );
  router.use((req: Request, res: Response) => {
    requestIdOf(res);
    res.setHeader('Server', 'tencent-cos');
    setCors(req, res);
    if (req.method === 'OPTIONS') return preflight(req, res);
    void (async () => {
      const target = parseCosTarget(req.url);
      // The bucket decides whose keys apply, so it is resolved before the signature is checked.
      if (target.bucket !== credentials.bucket) throw cosErrors.noSuchBucket();
      // The SDK signs the key path only (`/a/b.png`, `/` for the bucket), never the mount or
      // bucket prefix of a path-style Domain, and the host of the Domain (base.js getSignHost).
      // The sandbox bucket is public-read, the usual setup for media served to browsers: objects
      // may be read without any signature; anything else, and any signed request, is verified.
      const anonymousRead =
        (req.method === 'GET' || req.method === 'HEAD') &&
        target.key !== '' &&
        !req.headers.authorization &&
        ![...target.query].some(([name]) => name.toLowerCase() === 'q-signature');
      if (!anonymousRead) {
        const verdict = verifyRequest(
          { method: req.method, pathname: `/${target.key}`, query: target.query, headers: req.headers },
          credentials,
          Math.floor(Date.now() / 1000),
        );
        if (!verdict.ok) throw new CosError(verdict.status, verdict.code, verdict.message);
      }
      await handlers.dispatch(req, res, target);
    })().catch((error: unknown) => sendError(req, res, error));
  });
  return router;
}
