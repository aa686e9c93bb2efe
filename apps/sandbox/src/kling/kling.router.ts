import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import jwt from 'jsonwebtoken';
import sharp, { type Metadata } from 'sharp';
import type { SandboxContext } from '../context.js';
import { SANDBOX_CREDENTIALS } from '../credentials.js';
import { type FaultRegistry, providerMiddleware } from '../faults.js';
import { KlingCdn } from './cdn.js';
import { sizeFor, VideoRenderer } from './render.js';

/**
 * Kling AI stand-in (../shared/providers/kling.md) at `/sandbox/kling`: JWT auth (1000–1004), the
 * `{code, message, request_id, data}` envelope with the documented error codes, text2video and
 * image2video with per-model checks, tasks `submitted` → `processing` → `succeed` | `failed` with
 * `callback_url` POSTed on every change, `external_task_id` unique and queryable, and real MP4
 * files served from expiring signed URLs under `/sandbox/kling-cdn`.
 */

type Family = 'text2video' | 'image2video';
type Status = 'submitted' | 'processing' | 'succeed' | 'failed';

const TRIGGERS = { balance: 'sandbox:balance', policy: 'sandbox:policy', busy: 'sandbox:busy', fail: 'sandbox:fail', slow: 'sandbox:slow' } as const;
const RISK_MESSAGE = 'Failure to pass the risk control system';

/** What the sandbox's Kling accepts per model (kling.md capability notes). */
interface ModelRules {
  families: Family[];
  cfg: boolean;
  tail: boolean;
  sound: boolean;
  camera: boolean;
}
const BOTH: Family[] = ['text2video', 'image2video'];
const MODELS: Record<string, ModelRules> = {
  'kling-v1': { families: BOTH, cfg: true, tail: true, sound: false, camera: true },
  'kling-v1-5': { families: ['image2video'], cfg: true, tail: true, sound: false, camera: true },
  'kling-v1-6': { families: BOTH, cfg: true, tail: true, sound: false, camera: false },
  'kling-v2-master': { families: BOTH, cfg: false, tail: false, sound: false, camera: false },
  'kling-v2-1': { families: ['image2video'], cfg: false, tail: true, sound: false, camera: false },
  'kling-v2-1-master': { families: BOTH, cfg: false, tail: false, sound: false, camera: false },
  'kling-v2-5-turbo': { families: BOTH, cfg: false, tail: true, sound: false, camera: false },
  'kling-v2-6': { families: BOTH, cfg: false, tail: true, sound: true, camera: false },
};
const CAMERA_TYPES = ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'];
const CAMERA_AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'];
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

interface Job {
  id: string;
  family: Family;
  externalTaskId: string | null;
  status: Status;
  statusMessage: string;
  createdAt: number;
  updatedAt: number;
  callbackUrl: string | null;
  watermark: boolean;
  units: string;
  videos: Array<{ id: string; url: string; watermark_url?: string; duration: string }>;
  epoch: number;
}

/** A refusal in Kling's words: HTTP status, code and message. */
class Refusal {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly message: string,
  ) {}
}
const invalid = (message: string) => new Refusal(400, 1201, message);

let lastId = 0n;
/** 18–19 digit numeric ids, as Kling's: strings, never to be parsed as numbers. */
function newId(): string {
  let id = BigInt(Date.now()) * 100000n + BigInt(Math.floor(Math.random() * 100000));
  if (id <= lastId) id = lastId + 1n;
  lastId = id;
  return id.toString();
}

function envelope(res: Response, status: number, code: number, message: string, data?: unknown): void {
  const body: Record<string, unknown> = { code, message, request_id: randomUUID() };
  if (data !== undefined) body.data = data;
  res.status(status).json(body);
}

const refuse = (res: Response, refusal: Refusal) => envelope(res, refusal.status, refusal.code, refusal.message);

/** JWT checks (kling.md §2): each failure has its own code. */
function authenticate(req: Request, res: Response, next: NextFunction): void {
  const { accessKey, secretKey } = SANDBOX_CREDENTIALS.kling;
  const header = req.get('authorization');
  if (!header) return refuse(res, new Refusal(401, 1001, 'Authorization is empty'));
  const match = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(header);
  const decoded = match ? jwt.decode(match[1], { complete: true }) : null;
  if (!match || !decoded || decoded.header.alg !== 'HS256' || typeof decoded.payload !== 'object' || typeof decoded.payload.exp !== 'number') {
    return refuse(res, new Refusal(401, 1002, 'Authorization is invalid'));
  }
  try {
    jwt.verify(match[1], secretKey, { algorithms: ['HS256'], issuer: accessKey });
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError) return refuse(res, new Refusal(401, 1004, 'Authorization token expired'));
    if (error instanceof jwt.NotBeforeError) return refuse(res, new Refusal(401, 1003, 'Authorization token not yet valid'));
    // A wrong signature or an access key (iss) the account does not have.
    return refuse(res, new Refusal(401, 1000, 'Authentication failed'));
  }
  next();
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** An `image`/`image_tail` value as PNG bytes and its size, or the refusal Kling gives. */
async function readImage(field: string, value: unknown): Promise<{ png: Buffer; width: number; height: number }> {
  if (typeof value !== 'string' || value === '') throw invalid(`${field} is invalid`);
  let bytes: Buffer;
  if (/^https?:\/\//.test(value)) {
    try {
      const response = await fetch(value, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      // Refused before reading, so a huge file is never held in memory.
      if (Number(response.headers.get('content-length') ?? 0) > MAX_IMAGE_BYTES) {
        await response.body?.cancel();
        throw invalid(`${field} is larger than 10MB`);
      }
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      if (error instanceof Refusal) throw error;
      throw invalid(`${field} url could not be downloaded: ${(error as Error).message}`);
    }
  } else {
    // Kling wants raw base64: a `data:` prefix is a malformed value (gotcha §10.4).
    if (!/^[A-Za-z0-9+/\r\n]+={0,2}$/.test(value)) throw invalid(`${field} is not valid base64 (send raw base64 without a data: prefix, or a URL)`);
    bytes = Buffer.from(value, 'base64');
  }
  if (bytes.length > MAX_IMAGE_BYTES) throw invalid(`${field} is larger than 10MB`);
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch {
    throw invalid(`${field} is not an image`);
  }
  if (meta.format !== 'jpeg' && meta.format !== 'png') throw invalid(`${field} must be jpg, jpeg or png`);
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (Math.min(width, height) < 300) throw invalid(`${field} must be at least 300px on each side`);
  if (width / height > 2.5 || height / width > 2.5) throw invalid(`${field} aspect ratio must be between 1:2.5 and 2.5:1`);
  return { png: await sharp(bytes).png().toBuffer(), width, height };
}

function checkCamera(value: unknown): void {
  const control = value && typeof value === 'object' ? (value as { type?: unknown; config?: unknown }) : null;
  if (!control || !CAMERA_TYPES.includes(text(control.type))) throw invalid(`camera_control.type must be one of ${CAMERA_TYPES.join(', ')}`);
  if (control.type !== 'simple') {
    if (control.config !== undefined) throw invalid('camera_control.config is only for type simple');
    return;
  }
  const config = control.config && typeof control.config === 'object' ? (control.config as Record<string, unknown>) : null;
  if (!config) throw invalid('camera_control.config is required for type simple');
  let nonZero = 0;
  for (const [axis, amount] of Object.entries(config)) {
    if (!CAMERA_AXES.includes(axis)) throw invalid(`camera_control.config.${axis} is not supported`);
    if (typeof amount !== 'number' || amount < -10 || amount > 10) throw invalid(`camera_control.config.${axis} must be in [-10, 10]`);
    if (amount !== 0) nonZero++;
  }
  if (nonZero !== 1) throw invalid('camera_control.config must have exactly one non-zero value');
}

class KlingAccount {
  private readonly jobs = new Map<string, Job>();
  /** external_task_id → task id: unique per account (kling.md §10.8). */
  private readonly external = new Map<string, string>();
  private readonly renderer: VideoRenderer;

  constructor(
    private readonly context: SandboxContext,
    private readonly cdn: KlingCdn,
  ) {
    this.renderer = new VideoRenderer(() => context.dir('kling-videos'));
    context.onReset(() => this.clear());
  }

  clear(): void {
    for (const job of this.jobs.values()) job.epoch++;
    this.jobs.clear();
    this.external.clear();
  }

  wire(job: Job): Record<string, unknown> {
    const task: Record<string, unknown> = {
      task_id: job.id,
      task_status: job.status,
      task_status_msg: job.statusMessage,
      task_info: job.externalTaskId ? { external_task_id: job.externalTaskId } : {},
      watermark_info: { enabled: job.watermark },
      created_at: job.createdAt,
      updated_at: job.updatedAt,
    };
    if (job.status === 'succeed') task.task_result = { videos: job.videos };
    if (job.status === 'succeed' || job.status === 'failed') task.final_unit_deduction = job.status === 'succeed' ? job.units : '0';
    return task;
  }

  /** POSTs the task (no envelope) to its callback_url: unsigned, fire-and-forget (§8). */
  private notify(job: Job): void {
    if (!job.callbackUrl) return;
    const body = JSON.stringify(this.wire(job));
    void fetch(job.callbackUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) })
      .then((response) => response.arrayBuffer())
      .catch(() => undefined);
  }

  private move(job: Job, status: Status, statusMessage = ''): void {
    job.status = status;
    job.statusMessage = statusMessage;
    job.updatedAt = Date.now();
    this.notify(job);
  }

  async submit(family: Family, body: Record<string, unknown>, cdnBase: string): Promise<Record<string, unknown>> {
    const modelName = body.model_name ?? body.model ?? 'kling-v1';
    const model = typeof modelName === 'string' ? MODELS[modelName] : undefined;
    if (!model) throw new Refusal(404, 1203, `model_name ${String(modelName)} not found`);
    if (!model.families.includes(family)) throw invalid(`model_name ${String(modelName)} is not supported by ${family}`);
    const prompt = body.prompt;
    if (prompt !== undefined && typeof prompt !== 'string') throw invalid('prompt must be a string');
    if (family === 'text2video' && !text(prompt).trim()) throw invalid('prompt is required');
    if (text(prompt).length > 2500 || text(body.negative_prompt).length > 2500) throw invalid('prompt must not exceed 2500 characters');
    const mode = body.mode ?? 'std';
    if (mode !== 'std' && mode !== 'pro') throw invalid('mode must be std or pro');
    const duration = body.duration ?? '5';
    // A string, and most models only know "5" and "10" (gotcha §10.3).
    if (duration !== '5' && duration !== '10') throw invalid('duration must be "5" or "10"');
    if (body.cfg_scale !== undefined) {
      if (!model.cfg) throw invalid(`cfg_scale is not supported by ${String(modelName)}`);
      if (typeof body.cfg_scale !== 'number' || body.cfg_scale < 0 || body.cfg_scale > 1) throw invalid('cfg_scale must be in [0, 1]');
    }
    const sound = body.sound ?? 'off';
    if (sound !== 'on' && sound !== 'off') throw invalid('sound must be on or off');
    if (sound === 'on' && !(model.sound && mode === 'pro')) throw invalid(`sound is not supported by ${String(modelName)} in ${String(mode)} mode`);
    if (body.camera_control !== undefined) {
      if (!model.camera) throw invalid(`camera_control is not supported by ${String(modelName)}`);
      checkCamera(body.camera_control);
    }
    const callbackUrl = body.callback_url;
    if (callbackUrl !== undefined && !/^https?:\/\/\S+$/.test(text(callbackUrl))) throw invalid('callback_url is invalid');
    const externalTaskId = body.external_task_id;
    if (externalTaskId !== undefined && (typeof externalTaskId !== 'string' || externalTaskId === '')) throw invalid('external_task_id must be a non-empty string');

    let size: { width: number; height: number };
    let start: Buffer | undefined;
    let end: Buffer | undefined;
    if (family === 'text2video') {
      const ratio = body.aspect_ratio ?? '16:9';
      if (ratio === '16:9') size = sizeFor(16, 9);
      else if (ratio === '9:16') size = sizeFor(9, 16);
      else if (ratio === '1:1') size = sizeFor(1, 1);
      else throw invalid('aspect_ratio must be one of 16:9, 9:16, 1:1');
    } else {
      if (body.image === undefined && body.image_tail === undefined) throw invalid('image or image_tail is required');
      if (body.image_tail !== undefined) {
        if (!model.tail || mode !== 'pro') throw invalid(`image_tail is not supported by ${String(modelName)} in ${String(mode)} mode`);
        if (body.camera_control !== undefined) throw invalid('image_tail and camera_control cannot be used together');
      }
      const first = body.image !== undefined ? await readImage('image', body.image) : undefined;
      const last = body.image_tail !== undefined ? await readImage('image_tail', body.image_tail) : undefined;
      // The output takes the ratio of its input image.
      const basis = (first ?? last)!;
      size = sizeFor(basis.width, basis.height);
      start = first?.png;
      end = last?.png;
    }

    // Triggers, checked after the request is found valid, as the real service would bill it.
    const words = text(prompt);
    if (words.includes(TRIGGERS.balance)) throw new Refusal(429, 1102, 'Account balance not enough: resource pack exhausted or expired');
    if (words.includes(TRIGGERS.policy)) throw new Refusal(400, 1301, 'Failure to pass the risk control system: content security policy triggered');
    if (words.includes(TRIGGERS.busy)) throw new Refusal(429, 1303, 'parallel task over resource pack limit');
    if (typeof externalTaskId === 'string' && this.external.has(externalTaskId)) throw invalid(`external_task_id ${externalTaskId} already exists`);

    const now = Date.now();
    const seconds = Number(duration);
    const job: Job = {
      id: newId(),
      family,
      externalTaskId: typeof externalTaskId === 'string' ? externalTaskId : null,
      status: 'submitted',
      statusMessage: '',
      createdAt: now,
      updatedAt: now,
      callbackUrl: typeof callbackUrl === 'string' ? callbackUrl : null,
      watermark: !!(body.watermark_info && typeof body.watermark_info === 'object' && (body.watermark_info as { enabled?: unknown }).enabled === true),
      units: String((seconds / 5) * (mode === 'pro' ? 3.5 : 1)),
      videos: [],
      epoch: 0,
    };
    this.jobs.set(job.id, job);
    if (job.externalTaskId) this.external.set(job.externalTaskId, job.id);
    const render = {
      prompt: words || (family === 'image2video' ? 'image to video' : ''),
      // Kling takes no seed: the request's own content is the seed, so the same request gives the same bytes.
      seed: JSON.stringify([family, modelName, mode, duration, text(body.negative_prompt), body.cfg_scale ?? null, body.camera_control ?? null]),
      ...size,
      seconds,
      sound: sound === 'on',
      start,
      end,
    };
    this.run(job, render, cdnBase, words);
    return this.wire(job);
  }

  private run(job: Job, render: Parameters<VideoRenderer['render']>[0], cdnBase: string, words: string): void {
    const { timing } = this.context;
    const epoch = job.epoch;
    const alive = () => job.epoch === epoch && this.jobs.get(job.id) === job;
    this.context.later(timing.queueMs, () => {
      if (!alive()) return;
      this.move(job, 'processing');
      const fail = words.includes(TRIGGERS.fail);
      // Rendering starts with the run; the task succeeds when both the run time and the render are done.
      const rendered = fail ? Promise.resolve(null) : this.renderer.render(render);
      rendered.catch(() => undefined);
      const runMs = words.includes(TRIGGERS.slow) ? timing.slowMs : timing.runMinMs + Math.random() * (timing.runMaxMs - timing.runMinMs);
      this.context.later(runMs, async () => {
        if (!alive()) return;
        if (fail) return this.move(job, 'failed', RISK_MESSAGE);
        let file: string | null;
        try {
          file = await rendered;
        } catch {
          if (alive()) this.move(job, 'failed', 'Internal error: video generation failed');
          return;
        }
        if (!alive() || !file) return;
        const url = this.cdn.link(cdnBase, file);
        job.videos = [
          {
            id: newId(),
            url,
            ...(job.watermark ? { watermark_url: this.cdn.link(cdnBase, file, 'output_watermark.mp4') } : {}),
            duration: render.seconds.toFixed(1),
          },
        ];
        this.move(job, 'succeed');
      });
    });
  }

  /** By task id or by external_task_id (the path takes either, §7), within one family only. */
  find(family: Family, id: string): Job | undefined {
    const job = this.jobs.get(id) ?? this.jobs.get(this.external.get(id) ?? '');
    return job && job.family === family ? job : undefined;
  }

  list(family: Family, pageNum: number, pageSize: number): Record<string, unknown>[] {
    return [...this.jobs.values()]
      .filter((job) => job.family === family)
      .sort((a, b) => b.createdAt - a.createdAt || (b.id > a.id ? 1 : -1))
      .slice((pageNum - 1) * pageSize, pageNum * pageSize)
      .map((job) => this.wire(job));
  }
}

/** `/sandbox/kling` (the API) and `/sandbox/kling-cdn` (its result files). */
export function klingRouters(context: SandboxContext, faults: FaultRegistry): { api: Router; cdn: Router } {
  const cdn = new KlingCdn(context);
  const account = new KlingAccount(context, cdn);
  const api = express.Router();
  api.use(
    providerMiddleware(context, faults, 'kling', (res, status) =>
      status === 429 ? envelope(res, 429, 1302, 'request rate too high') : envelope(res, 500, 5000, 'internal error'),
    ),
  );
  api.use(authenticate);
  api.use(express.json({ limit: '60mb' }));
  const isFamily = (value: string): value is Family => value === 'text2video' || value === 'image2video';
  const cdnBase = (req: Request) => `${req.protocol}://${req.get('host')}${req.baseUrl}-cdn`;

  api.post('/v1/videos/:family', async (req: Request, res: Response) => {
    const family = String(req.params.family);
    if (!isFamily(family)) return refuse(res, new Refusal(404, 1202, 'invalid request method'));
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return refuse(res, new Refusal(400, 1200, 'invalid request parameters'));
    try {
      envelope(res, 200, 0, 'SUCCEED', await account.submit(family, body as Record<string, unknown>, cdnBase(req)));
    } catch (error) {
      if (error instanceof Refusal) return refuse(res, error);
      envelope(res, 500, 5000, 'internal error');
    }
  });

  api.get('/v1/videos/:family/:id', (req: Request, res: Response) => {
    const family = String(req.params.family);
    if (!isFamily(family)) return refuse(res, new Refusal(404, 1202, 'invalid request method'));
    const job = account.find(family, String(req.params.id));
    if (!job) return refuse(res, new Refusal(404, 1203, 'task not found'));
    envelope(res, 200, 0, 'SUCCEED', account.wire(job));
  });

  api.get('/v1/videos/:family', (req: Request, res: Response) => {
    const family = String(req.params.family);
    if (!isFamily(family)) return refuse(res, new Refusal(404, 1202, 'invalid request method'));
    const pageNum = req.query.pageNum === undefined ? 1 : Number(req.query.pageNum);
    const pageSize = req.query.pageSize === undefined ? 30 : Number(req.query.pageSize);
    if (!Number.isInteger(pageNum) || pageNum < 1 || pageNum > 1000) return refuse(res, invalid('pageNum must be in [1, 1000]'));
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) return refuse(res, invalid('pageSize must be in [1, 500]'));
    envelope(res, 200, 0, 'SUCCEED', account.list(family, pageNum, pageSize));
  });

  api.use((_req: Request, res: Response) => refuse(res, new Refusal(404, 1202, 'invalid request method')));
  api.use((error: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    // Unreadable JSON or a body over the limit.
    if (error.status && error.status >= 400 && error.status < 500) return refuse(res, new Refusal(400, 1200, 'invalid request parameters'));
    envelope(res, 500, 5000, 'internal error');
  });
  return { api, cdn: cdn.router() };
}
