import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { createReadStream, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import type { SandboxContext } from '../context.js';
import { SANDBOX_CREDENTIALS } from '../credentials.js';
import { type FaultRegistry, providerMiddleware } from '../faults.js';
import { FAL_MODELS, type ModelSpec, outputSize, type ValidationIssue, validateInput } from './models.js';
import { imageSize, renderImage } from './render.js';

/**
 * fal.ai queue API stand-in (../shared/providers/fal.md): submit, status (202 until COMPLETED,
 * then 200), result, cancel, status stream, webhooks, and a CDN whose file URLs expire.
 */

type QueueStatus = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';

interface RequestLog {
  message: string;
  level: 'INFO' | 'ERROR';
  source: 'USER';
  timestamp: string;
}

interface FalJob {
  id: string;
  model: ModelSpec;
  /** `owner/app`: status, result and cancel live only under it (fal.md §2). */
  app: string;
  input: Record<string, unknown>;
  status: QueueStatus;
  queuedUntil: number;
  queueMs: number;
  logs: RequestLog[];
  /** Set when COMPLETED: the HTTP answer of the result endpoint. */
  outcome?: { status: number; body: unknown; retryable?: boolean };
  startedAt?: number;
  completedAt?: number;
  webhookUrl?: string;
  urls: { response_url: string; status_url: string; cancel_url: string };
}

interface MediaFile {
  path: string;
  contentType: string;
  expiresAt: number;
}

const FAIL_TRIGGER = 'sandbox:fail';
const SLOW_TRIGGER = 'sandbox:slow';
/** Webhook retry delays: fal retries for hours; the sandbox keeps it short. */
const WEBHOOK_RETRY_DELAYS_MS = [500, 1500, 4000];

/** The user id fal puts in webhook signatures. */
const SANDBOX_USER_ID = 'sandbox-user';
const webhookKeys = generateKeyPairSync('ed25519');

function falError(res: Response, status: number, detail: unknown, headers: Record<string, string> = {}): void {
  res.status(status).set(headers).json({ detail });
}

function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host')}${req.baseUrl}`;
}

/** Where the sandbox's CDN is mounted: next to the queue API, as `…/fal-media`. */
function mediaBaseUrl(req: Request): string {
  return baseUrl(req).replace(/\/fal$/, '/fal-media');
}

const media = new Map<string, MediaFile>();

export function falMediaRouter(context: SandboxContext): Router {
  const router = express.Router();
  context.onReset(() => {
    for (const file of media.values()) rmSync(file.path, { force: true });
    media.clear();
  });
  router.get('/files/:id/:name', (req, res) => {
    const file = media.get(req.params.id);
    if (!file || Date.now() > file.expiresAt || !existsSync(file.path)) {
      // Expired links behave like fal's CDN: the object is simply gone.
      if (file) {
        media.delete(req.params.id);
        rmSync(file.path, { force: true });
      }
      res.status(404).type('text/plain').send('Not Found');
      return;
    }
    // With its length, as a CDN sends a stored file.
    res.status(200).type(file.contentType).set('Content-Length', String(statSync(file.path).size));
    createReadStream(file.path).pipe(res);
  });
  return router;
}

/** Reads an image input: a data URI or a URL the "provider" downloads, as fal does. */
async function loadImage(url: string): Promise<Buffer> {
  const dataUri = /^data:([\w/+.-]+)?(;base64)?,(.*)$/s.exec(url);
  if (dataUri) return dataUri[2] ? Buffer.from(dataUri[3], 'base64') : Buffer.from(decodeURIComponent(dataUri[3]));
  if (!/^https?:\/\//.test(url)) throw new Error('unsupported URL');
  const response = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

export function falRouter(context: SandboxContext, faults: FaultRegistry): Router {
  const router = express.Router();
  const jobs = new Map<string, FalJob>();
  context.onReset(() => jobs.clear());

  router.use(
    providerMiddleware(context, faults, 'fal', (res, status) =>
      status === 429
        ? falError(res, 429, 'Too many requests: concurrency limit reached', { 'X-Fal-Error-Type': 'rate_limited' })
        : falError(res, 500, 'Internal server error', { 'X-Fal-Error-Type': 'internal_error' }),
    ),
  );

  // JWKS for webhook signatures; fal serves it at rest.fal.ai/.well-known/jwks.json.
  router.get('/.well-known/jwks.json', (_req, res) => {
    const jwk = webhookKeys.publicKey.export({ format: 'jwk' });
    res.json({ keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: 'sandbox', use: 'sig', alg: 'EdDSA' }] });
  });

  router.use((req, res, next) => {
    const header = req.get('authorization') ?? '';
    // fal wants the literal word "Key", not "Bearer" (fal.md §1).
    if (header !== `Key ${SANDBOX_CREDENTIALS.fal.key}`) {
      return falError(res, 401, header ? 'Invalid API key: authentication failed' : 'Authorization header is missing');
    }
    next();
  });

  const statusBody = (job: FalJob, withLogs: boolean) => {
    const common = { request_id: job.id, ...job.urls };
    if (job.status === 'IN_QUEUE') {
      // Falls towards 0 while the job waits.
      const remaining = Math.max(0, job.queuedUntil - Date.now());
      const position = job.queueMs > 0 ? Math.min(2, Math.floor((remaining / job.queueMs) * 3)) : 0;
      return { status: job.status, queue_position: position, ...common };
    }
    const logs = withLogs ? { logs: job.logs } : {};
    if (job.status === 'IN_PROGRESS') return { status: job.status, ...logs, ...common };
    const inference = job.startedAt && job.completedAt ? (job.completedAt - job.startedAt) / 1000 : null;
    return { status: job.status, ...logs, metrics: { inference_time: inference }, ...common };
  };

  const log = (job: FalJob, message: string, level: RequestLog['level'] = 'INFO') =>
    job.logs.push({ message, level, source: 'USER', timestamp: new Date().toISOString() });

  const deliverWebhook = async (job: FalJob, attempt = 0): Promise<void> => {
    if (!job.webhookUrl || !job.outcome) return;
    const ok = job.outcome.status === 200;
    const body = JSON.stringify({
      request_id: job.id,
      gateway_request_id: job.id,
      status: ok ? 'OK' : 'ERROR',
      payload: job.outcome.body,
      error: ok ? null : `Invalid status code: ${job.outcome.status}`,
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const message = [job.id, SANDBOX_USER_ID, timestamp, createHash('sha256').update(body).digest('hex')].join('\n');
    const signature = sign(null, Buffer.from(message), webhookKeys.privateKey).toString('hex');
    let delivered = false;
    try {
      const response = await fetch(job.webhookUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Fal-Webhook-Request-Id': job.id,
          'X-Fal-Webhook-User-Id': SANDBOX_USER_ID,
          'X-Fal-Webhook-Timestamp': timestamp,
          'X-Fal-Webhook-Signature': signature,
        },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      delivered = response.ok;
      await response.arrayBuffer().catch(() => undefined);
    } catch {
      delivered = false;
    }
    if (!delivered && attempt < WEBHOOK_RETRY_DELAYS_MS.length) {
      context.later(WEBHOOK_RETRY_DELAYS_MS[attempt], () => deliverWebhook(job, attempt + 1));
    }
  };

  const complete = (job: FalJob, outcome: FalJob['outcome']) => {
    if (job.status === 'COMPLETED') return;
    job.outcome = outcome;
    job.status = 'COMPLETED';
    job.completedAt = Date.now();
    context.falStats.completions.set(job.id, job.completedAt);
    // Bounded, oldest first out, so a long-running sandbox does not grow without end.
    if (context.falStats.completions.size > 50_000) context.falStats.completions.delete(context.falStats.completions.keys().next().value!);
    void deliverWebhook(job);
  };

  const run = async (job: FalJob, mediaBase: string) => {
    const { input, model } = job;
    const prompt = typeof input.prompt === 'string' ? input.prompt : '';
    if (prompt.includes(FAIL_TRIGGER)) {
      log(job, 'Prompt rejected by the content checker', 'ERROR');
      return complete(job, {
        status: 422,
        retryable: false,
        body: {
          detail: [
            {
              loc: ['body', 'prompt'],
              msg: 'The content could not be processed because it contained material flagged by a content checker.',
              type: 'content_policy_violation',
              url: 'https://docs.fal.ai/errors#content_policy_violation',
              input: prompt,
            },
          ],
        },
      });
    }
    const urls = model.imageInput === 'image_url' ? [input.image_url as string] : model.imageInput === 'image_urls' ? (input.image_urls as string[]) : [];
    let inputs: Buffer[] = [];
    try {
      inputs = await Promise.all(urls.map(loadImage));
      await Promise.all(inputs.map(imageSize));
    } catch (error) {
      log(job, `Failed to download the input image: ${(error as Error).message}`, 'ERROR');
      return complete(job, {
        status: 422,
        retryable: false,
        body: {
          detail: [
            {
              loc: ['body', model.imageInput],
              msg: 'Failed to download the file. Please check if the URL is accessible.',
              type: 'file_download_error',
              url: 'https://docs.fal.ai/errors#file_download_error',
              input: urls.length === 1 ? urls[0] : urls,
            },
          ],
        },
      });
    }
    const size = outputSize(model, input, inputs.length ? await imageSize(inputs[0]) : undefined);
    const format = input.output_format === 'png' ? 'png' : 'jpeg';
    const seed = typeof input.seed === 'number' ? input.seed : randomBytes(4).readUInt32BE();
    const count = typeof input.num_images === 'number' ? input.num_images : 1;
    const images = [];
    for (let index = 0; index < count; index++) {
      const bytes = await renderImage({ prompt: prompt || `redux:${urls.join(',')}`, seed, index, ...size, format, inputs });
      const id = randomUUID().replaceAll('-', '');
      const ext = format === 'png' ? 'png' : 'jpg';
      const path = join(context.dir('fal-media'), `${id}.${ext}`);
      writeFileSync(path, bytes);
      const contentType = format === 'png' ? 'image/png' : 'image/jpeg';
      media.set(id, { path, contentType, expiresAt: Date.now() + context.outputTtlSeconds * 1000 });
      images.push({ url: `${mediaBase}/files/${id}/output_${index}.${ext}`, width: size.width, height: size.height, content_type: contentType, file_name: `output_${index}.${ext}`, file_size: bytes.length });
    }
    log(job, `Generated ${count} image(s) at ${size.width}x${size.height}`);
    complete(job, {
      status: 200,
      body: {
        images,
        seed,
        has_nsfw_concepts: images.map(() => false),
        prompt,
        timings: { inference: job.startedAt ? (Date.now() - job.startedAt) / 1000 : 0 },
      },
    });
  };

  // Submit: the whole endpoint id is in the path (fal.md §2).
  router.post('/:owner/:app/{*path}', express.json({ limit: '60mb' }), (req: Request, res: Response) => {
    const segments = (req.params.path as unknown as string[] | undefined) ?? [];
    const modelId = [req.params.owner, req.params.app, ...segments].join('/');
    const model = FAL_MODELS.get(modelId);
    if (!model) return falError(res, 404, `Application '${modelId}' not found`);
    const issues: ValidationIssue[] = validateInput(model, req.body);
    if (issues.length) return falError(res, 422, issues);

    const webhook = typeof req.query.fal_webhook === 'string' ? req.query.fal_webhook : undefined;
    if (webhook !== undefined && !/^https?:\/\//.test(webhook)) return falError(res, 422, [{ loc: ['query', 'fal_webhook'], msg: 'Input should be a valid URL', type: 'url_parsing', input: webhook }]);

    const id = randomUUID();
    const app = `${req.params.owner}/${req.params.app}`;
    const base = `${baseUrl(req)}/${app}/requests/${id}`;
    const input = req.body as Record<string, unknown>;
    const { queueMs, runMinMs, runMaxMs, slowMs } = context.timing;
    const prompt = typeof input.prompt === 'string' ? input.prompt : '';
    const runMs = prompt.includes(SLOW_TRIGGER) ? slowMs : runMinMs + Math.random() * (runMaxMs - runMinMs);
    const job: FalJob = {
      id,
      model,
      app,
      input,
      status: 'IN_QUEUE',
      queueMs,
      // Held jobs have not started waiting yet: they report the back of the queue.
      queuedUntil: context.falHold.held ? Infinity : Date.now() + queueMs,
      logs: [],
      webhookUrl: webhook,
      urls: { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` },
    };
    jobs.set(id, job);
    const mediaBase = mediaBaseUrl(req);
    const start = () => {
      job.queuedUntil = Date.now() + queueMs;
      context.later(queueMs, begin);
    };
    const begin = () => {
      if (job.status !== 'IN_QUEUE') return;
      job.status = 'IN_PROGRESS';
      job.startedAt = Date.now();
      const steps = typeof input.num_inference_steps === 'number' ? input.num_inference_steps : (model.defaultSteps ?? 28);
      log(job, `Starting ${model.id}: ${steps} steps`);
      context.later(runMs / 2, () => {
        if (job.status === 'IN_PROGRESS') log(job, `Step ${Math.ceil(steps / 2)}/${steps}`);
      });
      context.later(runMs, () => (job.status === 'IN_PROGRESS' ? run(job, mediaBase) : undefined));
    };
    if (context.falHold.held) context.falHold.waiting.push(start);
    else start();
    res.status(200).set('x-fal-request-id', id).json({ request_id: id, gateway_request_id: id, ...job.urls, status: 'IN_QUEUE', queue_position: 0 });
  });

  const findJob = (req: Request, res: Response): FalJob | undefined => {
    const job = jobs.get(String(req.params.id));
    if (!job || job.app !== `${req.params.owner}/${req.params.app}`) {
      falError(res, 404, `Request ${req.params.id} not found`);
      return undefined;
    }
    return job;
  };

  router.get('/:owner/:app/requests/:id/status', (req, res) => {
    context.falStats.statusCalls++;
    const job = findJob(req, res);
    if (!job) return;
    res.status(job.status === 'COMPLETED' ? 200 : 202).set('x-fal-request-id', job.id).json(statusBody(job, req.query.logs === '1'));
  });

  router.get('/:owner/:app/requests/:id/status/stream', (req, res) => {
    const job = findJob(req, res);
    if (!job) return;
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    let last = '';
    const tick = () => {
      const event = JSON.stringify(statusBody(job, req.query.logs === '1'));
      if (event !== last) res.write(`data: ${event}\n\n`);
      last = event;
      if (job.status === 'COMPLETED') {
        clearInterval(timer);
        res.end();
      }
    };
    const timer = setInterval(tick, 200);
    req.on('close', () => clearInterval(timer));
    tick();
  });

  router.get('/:owner/:app/requests/:id', (req, res) => {
    const job = findJob(req, res);
    if (!job) return;
    if (job.status !== 'COMPLETED' || !job.outcome) return falError(res, 400, 'Request is still in progress');
    const headers: Record<string, string> = { 'x-fal-request-id': job.id };
    if (job.outcome.retryable !== undefined) headers['X-Fal-Retryable'] = String(job.outcome.retryable);
    res.status(job.outcome.status).set(headers).json(job.outcome.body);
  });

  router.put('/:owner/:app/requests/:id/cancel', (req, res) => {
    const job = jobs.get(String(req.params.id));
    if (!job || job.app !== `${req.params.owner}/${req.params.app}`) return res.status(404).json({ status: 'NOT_FOUND' });
    if (job.status === 'COMPLETED') return res.status(400).json({ status: 'ALREADY_COMPLETED' });
    // A queued job is removed; a running one gets the signal and, in the sandbox, always stops.
    log(job, 'Cancellation requested');
    complete(job, { status: 400, retryable: false, body: { detail: 'Request was cancelled by the user' } });
    res.status(202).json({ status: 'CANCELLATION_REQUESTED' });
  });

  return router;
}
