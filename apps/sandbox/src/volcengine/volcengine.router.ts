import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import sharp, { type Metadata } from 'sharp';
import type { SandboxContext } from '../context.js';
import { SANDBOX_CREDENTIALS } from '../credentials.js';
import { renderImage } from '../fal/render.js';
import { type FaultRegistry, providerMiddleware } from '../faults.js';
import { sizeFor, VideoRenderer } from '../kling/render.js';
import { VolcCdn } from './cdn.js';
import { checkSignature, type GatewayRefusal } from './signature.js';

/**
 * Jimeng on Volcengine's visual API (../shared/providers/jimeng-volcengine.md) at
 * `/sandbox/volcengine`: the gateway's V4 signature check with its `ResponseMetadata.Error`
 * refusals, `CVSync2AsyncSubmitTask` / `CVSync2AsyncGetResult` (Version 2022-08-31) in the
 * `{code, message, data, request_id}` envelope, tasks `in_queue` → `generating` → `done`, the
 * documented business codes, task expiry, and real JPEGs (the fal renderer) and MP4s (the Kling
 * renderer, ffmpeg) behind expiring links under `/sandbox/volcengine-cdn`, or base64 images when
 * `req_json.return_url` is not true.
 */

const VERSION = '2022-08-31';
const ACTIONS = ['CVSync2AsyncSubmitTask', 'CVSync2AsyncGetResult'] as const;
const TRIGGERS = { risk: 'sandbox:risk', postRisk: 'sandbox:post-risk', busy: 'sandbox:busy', fail: 'sandbox:fail', slow: 'sandbox:slow', base64: 'sandbox:base64' } as const;

/** What the sandbox accepts per req_key (§4, §5). */
interface KeyRules {
  kind: 'video' | 'image';
  images: [number, number];
  prompt: boolean;
  aspect?: boolean;
  /** Default output size (images). */
  size?: { width: number; height: number };
}
const T2V: KeyRules = { kind: 'video', images: [0, 0], prompt: true, aspect: true };
const I2V: KeyRules = { kind: 'video', images: [1, 1], prompt: false };
const TAIL: KeyRules = { kind: 'video', images: [2, 2], prompt: false };
const REQ_KEYS: Record<string, KeyRules> = {
  jimeng_t2v_v30: T2V,
  jimeng_t2v_v30_1080p: T2V,
  jimeng_i2v_first_v30: I2V,
  jimeng_i2v_first_v30_1080: I2V,
  jimeng_i2v_first_tail_v30: TAIL,
  jimeng_i2v_first_tail_v30_1080: TAIL,
  jimeng_ti2v_v30_pro: { kind: 'video', images: [0, 1], prompt: true, aspect: true },
  jimeng_t2i_v30: { kind: 'image', images: [0, 0], prompt: true, size: { width: 1328, height: 1328 } },
  jimeng_t2i_v31: { kind: 'image', images: [0, 0], prompt: true, size: { width: 1328, height: 1328 } },
  jimeng_t2i_v40: { kind: 'image', images: [0, 10], prompt: true, size: { width: 2048, height: 2048 } },
  jimeng_i2i_v30: { kind: 'image', images: [1, 1], prompt: true, size: { width: 1328, height: 1328 } },
  jimeng_image2image_dream_inpaint: { kind: 'image', images: [2, 2], prompt: true },
};
const ASPECTS: Record<string, [number, number]> = { '16:9': [16, 9], '4:3': [4, 3], '1:1': [1, 1], '3:4': [3, 4], '9:16': [9, 16], '21:9': [21, 9] };
const MAX_IMAGE_BYTES = 4.7 * 1024 * 1024;
/** The sandbox draws images at most this long side (real ones are up to 4096 px): it spares the shared CPU. */
const MAX_DRAWN_SIDE = 1024;

/** A business refusal: HTTP status, code, message (§3.2). */
class Refusal {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly message: string,
  ) {}
}
const invalid = (message: string) => new Refusal(400, 50215, `Input invalid for this service. ${message}`);

type Status = 'in_queue' | 'generating' | 'done';
interface Job {
  id: string;
  reqKey: string;
  kind: 'video' | 'image';
  status: Status;
  expiresAt: number;
  /** Set when done: the failure GetResult answers instead of a result. */
  failure: Refusal | null;
  file: string | null;
  images: Buffer[];
  epoch: number;
  /** `sandbox:base64`: images come as base64 even when `return_url` is true (as some req_keys answer). */
  base64: boolean;
}

function requestId(): string {
  const now = new Date();
  return `${now.toISOString().replace(/\D/g, '').slice(0, 14)}${randomBytes(9).toString('hex').toUpperCase()}`;
}

function envelope(res: Response, status: number, code: number, message: string, data: unknown, started: number): void {
  res.status(status).json({ code, message, data, request_id: requestId(), status: code, time_elapsed: `${Date.now() - started}ms` });
}

function gatewayError(res: Response, req: Request, refusal: GatewayRefusal): void {
  res.status(refusal.status).json({
    ResponseMetadata: {
      RequestId: requestId(),
      Action: typeof req.query.Action === 'string' ? req.query.Action : '',
      Version: typeof req.query.Version === 'string' ? req.query.Version : '',
      Service: 'cv',
      Region: 'cn-north-1',
      Error: { CodeN: refusal.codeN, Code: refusal.code, Message: refusal.message },
    },
  });
}

async function readImages(body: Record<string, unknown>, rules: KeyRules): Promise<Array<{ png: Buffer; width: number; height: number }>> {
  const base64 = body.binary_data_base64;
  const urls = body.image_urls;
  if (base64 !== undefined && urls !== undefined) throw invalid('binary_data_base64 and image_urls are exclusive');
  const list = base64 ?? urls ?? [];
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) throw invalid(`${base64 !== undefined ? 'binary_data_base64' : 'image_urls'} must be an array of strings`);
  if (list.length < rules.images[0] || list.length > rules.images[1]) throw invalid(`expected ${rules.images[0]}-${rules.images[1]} images, got ${list.length}`);
  const out: Array<{ png: Buffer; width: number; height: number }> = [];
  for (const item of list as string[]) {
    let bytes: Buffer;
    if (base64 !== undefined) {
      // Raw base64 in an array (gotcha §7.5): a data: prefix is refused.
      if (!/^[A-Za-z0-9+/\r\n]+={0,2}$/.test(item)) throw invalid('binary_data_base64 is not valid base64');
      bytes = Buffer.from(item, 'base64');
    } else {
      try {
        const response = await fetch(item, { signal: AbortSignal.timeout(10_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        bytes = Buffer.from(await response.arrayBuffer());
      } catch (error) {
        throw invalid(`image_urls could not be downloaded: ${(error as Error).message}`);
      }
    }
    if (bytes.length > MAX_IMAGE_BYTES) throw invalid('image larger than 4.7MB');
    let meta: Metadata;
    try {
      meta = await sharp(bytes).metadata();
    } catch {
      throw invalid('image could not be decoded');
    }
    if (meta.format !== 'jpeg' && meta.format !== 'png') throw invalid('image must be JPEG or PNG');
    const width = meta.width ?? 0;
    const height = meta.height ?? 0;
    if (Math.max(width, height) > 4096 || Math.min(width, height) < (rules.kind === 'video' ? 320 : 1) || Math.max(width, height) / Math.min(width, height) > 3) {
      throw invalid('image size out of range (≤4096 px, short side ≥320, ratio ≤3)');
    }
    out.push({ png: await sharp(bytes).png().toBuffer(), width, height });
  }
  return out;
}

class VolcAccount {
  private readonly jobs = new Map<string, Job>();
  /** Prompts whose `sandbox:post-risk` refusal was given: the next attempt passes (50511 is "retry once"). */
  private readonly postRiskSeen = new Set<string>();
  /** Prompts whose `sandbox:busy` refusal was given: the next submission is taken (the account had a slot free again). */
  private readonly busySeen = new Set<string>();
  private readonly renderer: VideoRenderer;
  private lastId = 0n;

  constructor(
    private readonly context: SandboxContext,
    private readonly cdn: VolcCdn,
  ) {
    this.renderer = new VideoRenderer(() => context.dir('volcengine-videos'));
    context.onReset(() => {
      for (const job of this.jobs.values()) job.epoch++;
      this.jobs.clear();
      this.postRiskSeen.clear();
      this.busySeen.clear();
      context.volcengine.clockOffsetMs = 0;
    });
  }

  private newId(): string {
    let id = BigInt(Date.now()) * 1000000n + BigInt(Math.floor(Math.random() * 1000000));
    if (id <= this.lastId) id = this.lastId + 1n;
    this.lastId = id;
    return id.toString();
  }

  async submit(body: Record<string, unknown>): Promise<Job> {
    const reqKey = body.req_key;
    if (typeof reqKey !== 'string' || reqKey === '') throw invalid('req_key is required');
    const rules = REQ_KEYS[reqKey];
    // A capability the account has not activated (or that does not exist) is refused as access.
    if (!rules) throw new Refusal(401, 50400, 'Access Denied: Internal Error');
    const prompt = body.prompt;
    if (prompt !== undefined && typeof prompt !== 'string') throw invalid('prompt must be a string');
    const words = typeof prompt === 'string' ? prompt : '';
    if (rules.prompt && !words.trim()) throw invalid('prompt is required');
    // Characters (code points), as the documented limit counts them: an emoji is one.
    if ([...words].length > 800) throw invalid('prompt longer than 800 characters');
    if (body.seed !== undefined && !Number.isInteger(body.seed)) throw invalid('seed must be an integer');
    const images = await readImages(body, rules);

    let render: () => Promise<{ file?: string; images?: Buffer[] }>;
    if (rules.kind === 'video') {
      const frames = body.frames ?? 121;
      if (frames !== 121 && frames !== 241) throw invalid('frames must be 121 or 241');
      if (body.aspect_ratio !== undefined && (!rules.aspect || images.length > 0 || typeof body.aspect_ratio !== 'string' || !ASPECTS[body.aspect_ratio])) {
        throw invalid('aspect_ratio is invalid');
      }
      const [w, h] = images.length ? [images[0].width, images[0].height] : ASPECTS[(body.aspect_ratio as string) ?? '16:9'] ?? ASPECTS['16:9'];
      const request = {
        prompt: words || 'image to video',
        seed: JSON.stringify([reqKey, body.seed ?? -1, frames, body.aspect_ratio ?? null]),
        ...sizeFor(w, h),
        seconds: frames === 241 ? 10 : 5,
        sound: false,
        start: images[0]?.png,
        end: images[1]?.png,
      };
      render = async () => ({ file: await this.renderer.render(request) });
    } else {
      for (const field of ['frames', 'aspect_ratio'] as const) if (body[field] !== undefined) throw invalid(`${field} is not supported`);
      const { width, height } = body;
      if ((width === undefined) !== (height === undefined)) throw invalid('width and height go together');
      if (width !== undefined && (!Number.isInteger(width) || !Number.isInteger(height) || (width as number) < 256 || (height as number) < 256 || (width as number) > 4096 || (height as number) > 4096)) {
        throw invalid('width/height out of range');
      }
      const size = width !== undefined ? { width: width as number, height: height as number } : images.length ? { width: images[0].width, height: images[0].height } : (rules.size ?? { width: 1328, height: 1328 });
      const scale = Math.min(1, MAX_DRAWN_SIDE / Math.max(size.width, size.height));
      const drawn = { width: Math.max(16, Math.round(size.width * scale)), height: Math.max(16, Math.round(size.height * scale)) };
      const seed = typeof body.seed === 'number' && body.seed >= 0 ? body.seed : 0;
      render = async () => ({ images: [await renderImage({ prompt: words, seed, index: 0, ...drawn, format: 'jpeg', inputs: images.map((image) => image.png) })] });
    }

    // Triggers, checked once the request is valid, as the real service would bill it.
    if (words.includes(TRIGGERS.risk)) throw new Refusal(400, 50412, 'Text Risk Not Pass');
    if (words.includes(TRIGGERS.busy) && !this.busySeen.has(words)) {
      // 50430 once per prompt: the account's concurrent jobs are used up, and free again on the next try.
      this.busySeen.add(words);
      throw new Refusal(429, 50430, 'Request Has Reached API Concurrent Limit, Please Try Later');
    }

    const job: Job = { id: this.newId(), reqKey, kind: rules.kind, status: 'in_queue', expiresAt: Date.now() + this.context.outputTtlSeconds * 1000, failure: null, file: null, images: [], epoch: 0, base64: words.includes(TRIGGERS.base64) };
    this.jobs.set(job.id, job);
    this.run(job, words, render);
    return job;
  }

  private run(job: Job, words: string, render: () => Promise<{ file?: string; images?: Buffer[] }>): void {
    const { timing } = this.context;
    const epoch = job.epoch;
    const alive = () => job.epoch === epoch && this.jobs.get(job.id) === job;
    this.context.later(timing.queueMs, () => {
      if (!alive()) return;
      job.status = 'generating';
      const fail = words.includes(TRIGGERS.fail);
      const postRisk = words.includes(TRIGGERS.postRisk) && !this.postRiskSeen.has(words);
      if (postRisk) this.postRiskSeen.add(words);
      const rendered = fail || postRisk ? Promise.resolve(null) : render();
      rendered.catch(() => undefined);
      const runMs = words.includes(TRIGGERS.slow) ? timing.slowMs : timing.runMinMs + Math.random() * (timing.runMaxMs - timing.runMinMs);
      this.context.later(runMs, async () => {
        if (!alive()) return;
        if (fail) job.failure = new Refusal(500, 50500, 'Internal Error');
        else if (postRisk) job.failure = new Refusal(400, job.kind === 'video' ? 50516 : 50511, job.kind === 'video' ? 'Post Video Risk Not Pass' : 'Post Img Risk Not Pass');
        else {
          try {
            const result = await rendered;
            if (!alive()) return;
            job.file = result?.file ?? null;
            job.images = result?.images ?? [];
          } catch {
            if (!alive()) return;
            job.failure = new Refusal(500, 50500, 'Internal Error');
          }
        }
        job.status = 'done';
      });
    });
  }

  /** GetResult's `data` for a task, or the failure a finished task answers with. */
  result(body: Record<string, unknown>, cdnBase: string): Record<string, unknown> {
    const taskId = body.task_id;
    const reqKey = body.req_key;
    if (typeof reqKey !== 'string' || !REQ_KEYS[reqKey]) throw typeof reqKey === 'string' && reqKey ? new Refusal(401, 50400, 'Access Denied: Internal Error') : invalid('req_key is required');
    if (typeof taskId !== 'string' || taskId === '') throw invalid('task_id is required');
    const job = this.jobs.get(taskId);
    // The same req_key as on submit (§6): another one does not find the task.
    if (!job || job.reqKey !== reqKey) return { status: 'not_found' };
    if (Date.now() > job.expiresAt) return { status: 'expired' };
    if (job.status !== 'done') return { status: job.status, ...(job.kind === 'video' ? { video_url: '' } : { image_urls: null, binary_data_base64: null }) };
    if (job.failure) throw job.failure;
    if (job.kind === 'video') return { status: 'done', video_url: this.cdn.video(cdnBase, job.file!), aigc_meta_tagged: readReqJson(body).aigc_meta !== undefined };
    const returnUrl = readReqJson(body).return_url === true && !job.base64;
    return returnUrl
      ? { status: 'done', image_urls: job.images.map((image) => this.cdn.image(cdnBase, image)), binary_data_base64: null }
      : { status: 'done', image_urls: null, binary_data_base64: job.images.map((image) => image.toString('base64')) };
  }
}

function readReqJson(body: Record<string, unknown>): Record<string, unknown> {
  if (typeof body.req_json !== 'string') return {};
  try {
    const parsed = JSON.parse(body.req_json) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw invalid('req_json is not valid JSON');
  }
}

/** `/sandbox/volcengine` (the visual API) and `/sandbox/volcengine-cdn` (its result files). */
export function volcengineRouters(context: SandboxContext, faults: FaultRegistry): { api: Router; cdn: Router } {
  const cdn = new VolcCdn(context);
  const account = new VolcAccount(context, cdn);
  const api = express.Router();
  api.use(
    providerMiddleware(context, faults, 'volcengine', (res, status) =>
      status === 429
        ? envelope(res, 429, 50429, 'Request Has Reached API Limit, Please Try Later', null, Date.now())
        : envelope(res, 500, 50500, 'Internal Error', null, Date.now()),
    ),
  );
  // The raw bytes: the signature covers them exactly.
  api.use(express.raw({ type: () => true, limit: '60mb' }));
  const cdnBase = (req: Request) => `${req.protocol}://${req.get('host')}${req.baseUrl}-cdn`;

  api.post('/', async (req: Request, res: Response) => {
    const started = Date.now();
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const refusal = checkSignature(req, body, SANDBOX_CREDENTIALS.volcengine, Date.now() + context.volcengine.clockOffsetMs);
    if (refusal) return gatewayError(res, req, refusal);
    const action = req.query.Action;
    if (!ACTIONS.includes(action as (typeof ACTIONS)[number]) || req.query.Version !== VERSION) {
      return gatewayError(res, req, { status: 404, code: 'InvalidActionOrVersion', codeN: 100008, message: `Could not find operation ${String(action)} for version ${String(req.query.Version)}.` });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return envelope(res, 400, 50215, 'Input invalid for this service. body is not JSON', null, started);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return envelope(res, 400, 50215, 'Input invalid for this service.', null, started);
    try {
      if (action === 'CVSync2AsyncSubmitTask') {
        const job = await account.submit(parsed as Record<string, unknown>);
        return envelope(res, 200, 10000, 'Success', { task_id: job.id }, started);
      }
      envelope(res, 200, 10000, 'Success', account.result(parsed as Record<string, unknown>, cdnBase(req)), started);
    } catch (error) {
      if (error instanceof Refusal) return envelope(res, error.status, error.code, error.message, null, started);
      envelope(res, 500, 50500, 'Internal Error', null, started);
    }
  });

  api.use((req: Request, res: Response) => gatewayError(res, req, { status: 404, code: 'InvalidActionOrVersion', codeN: 100008, message: 'Could not find operation.' }));
  api.use((error: Error & { status?: number }, req: Request, res: Response, _next: NextFunction) => {
    if (error.status === 413) return envelope(res, 400, 50215, 'Input invalid for this service. body too large', null, Date.now());
    envelope(res, 500, 50500, 'Internal Error', null, Date.now());
  });
  return { api, cdn: cdn.router() };
}
