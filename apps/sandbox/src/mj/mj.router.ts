import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { SandboxContext } from '../context.js';
import { SANDBOX_CREDENTIALS } from '../credentials.js';
import { type FaultRegistry, providerMiddleware } from '../faults.js';
import { type Button, gridButtons, type Press, readCustomId, upscaleButtons, upscaleHdButtons } from './buttons.js';
import { MjCdn } from './cdn.js';
import { aspectOf, cropQuadrant, describePrompts, enlarge, imageSize, preview, type QuadrantDecoration, renderGrid, type Size, sizeForAspect } from './images.js';

/**
 * midjourney-proxy stand-in (../shared/providers/midjourney-proxy.md), in both flavors:
 * `/sandbox/mj/trueai` (the trueai-org rewrite: action, modal, buttons, cancel, speed-mode
 * prefixes, raw `Authorization` token) and `/sandbox/mj/novicezk` (the open-source edition:
 * `mj-api-secret`, imagine/change/blend/describe, no buttons). Answers carry a `code` and mostly
 * HTTP 200, tasks go NOT_START → SUBMITTED → IN_PROGRESS (progress with previews) → SUCCESS |
 * FAILURE, and notifyHook gets every change.
 */

export type MjFlavor = 'trueai' | 'novicezk';
type Status = 'NOT_START' | 'SUBMITTED' | 'MODAL' | 'IN_PROGRESS' | 'FAILURE' | 'SUCCESS' | 'CANCEL';

const BANNED_TRIGGER = 'sandbox:banned';
const QUEUE_FULL_TRIGGER = 'sandbox:queue-full';
const FAIL_TRIGGER = 'sandbox:fail';
const SLOW_TRIGGER = 'sandbox:slow';
const HOOK_REORDER_TRIGGER = 'sandbox:hook-reorder';
/** Jobs Midjourney runs at once for one account (fast mode); the rest wait in the proxy's queue. */
const CONCURRENCY = 3;
/** Waiting tasks beyond this are refused with code 23, as the proxy's bounded queue does. */
const QUEUE_SIZE = 10;
/** Progress reports while a job runs, each with a preview. */
const STEPS = 3;
const DISCORD_INSTANCE_ID = '1118138338562560102';
const CANCEL_REASON = '取消任务';

interface SubmitAnswer {
  code: number;
  description: string;
  result?: string | null;
  properties?: Record<string, unknown>;
  /** trueai answers a missing parent with HTTP 404 (and code 3). */
  httpStatus?: number;
}

/** The task as the proxy serializes it; trueai-only fields are dropped for novicezk. */
interface WireTask {
  id: string;
  action: string;
  status: Status;
  prompt: string | null;
  promptEn: string | null;
  description: string;
  state: string | null;
  submitTime: number;
  startTime: number | null;
  finishTime: number | null;
  progress: string;
  imageUrl: string | null;
  failReason: string | null;
  properties: Record<string, unknown>;
  // trueai
  buttons: Button[];
  mode: 'FAST' | 'RELAX' | 'TURBO';
  botType: string;
  parentId: string | null;
  seed: string | null;
  width: number | null;
  height: number | null;
}

interface Job {
  wire: WireTask;
  hook: string | null;
  cdnBase: string;
  /** What the finished task is: a grid offers U/V/R, an upscale zoom/pan/vary... */
  kind: 'grid' | 'upscale' | 'upscale_hd' | 'describe';
  size: Size;
  fail: boolean;
  slow: boolean;
  /** Draws the result; set when the job is confirmed (modal jobs get theirs from /modal). */
  render?: () => Promise<Buffer>;
  /** For modal jobs: how /modal turns prompt and mask into the render. */
  confirm?: (prompt: string, mask: Buffer | null) => { error?: string; render?: () => Promise<Buffer>; size?: Size };
  modalKind?: 'custom_zoom' | 'inpaint';
  parent?: Job;
  /** The finished picture, kept after its CDN URL expires (children are drawn from it). */
  imageFile?: string;
  /** Describe's prompts, set on success. */
  prompts?: string[];
  /** Bumped when the job is cancelled or reset, so its pending timers do nothing. */
  epoch: number;
  /** A notifyHook report held back, to be sent after the next one. */
  heldReport?: string;
  /** `sandbox:hook-reorder`: every other report arrives late. */
  reorderHooks: boolean;
}

let lastId = 0n;
/** 16+ digit numeric ids, as the proxies make them: never to be parsed as numbers. */
function newId(): string {
  let id = BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000));
  if (id <= lastId) id = lastId + 1n;
  lastId = id;
  return id.toString();
}

function parseDataUrl(value: unknown): Buffer | null {
  if (typeof value !== 'string') return null;
  const match = /^data:image\/[\w.+-]+;base64,([A-Za-z0-9+/=\s]+)$/.exec(value);
  if (!match) return null;
  const bytes = Buffer.from(match[1], 'base64');
  return bytes.length ? bytes : null;
}

async function decodeImages(values: unknown[]): Promise<Buffer[] | null> {
  const images: Buffer[] = [];
  for (const value of values) {
    const bytes = parseDataUrl(value);
    if (!bytes) return null;
    try {
      await imageSize(bytes);
    } catch {
      return null;
    }
    images.push(bytes);
  }
  return images;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const seedOf = (prompt: string): string => /(?:^|\s)--seed\s+(\d{1,10})(?=\s|$)/.exec(prompt)?.[1] ?? String(randomBytes(4).readUInt32BE());
const hookOf = (body: Record<string, unknown>): string | null => (typeof body.notifyHook === 'string' && /^https?:\/\//.test(body.notifyHook) ? body.notifyHook : null);

/** One proxy deployment: its tasks, its queue and its routes. */
class MjProxy {
  private readonly jobs = new Map<string, Job>();
  private readonly waiting: Job[] = [];
  private running = 0;
  /** novicezk: `<parent id>:UPSCALE:2` → the task that did it, so a repeat answers code 21. */
  private readonly changes = new Map<string, string>();

  constructor(
    private readonly flavor: MjFlavor,
    private readonly context: SandboxContext,
    private readonly cdn: MjCdn,
  ) {
    context.onReset(() => this.clear());
  }

  clear(): void {
    for (const job of this.jobs.values()) {
      job.epoch++;
      if (job.imageFile) rmSync(job.imageFile, { force: true });
    }
    this.jobs.clear();
    this.changes.clear();
    this.waiting.length = 0;
    this.running = 0;
  }

  // ---- serialization and notifications ----

  wire(job: Job): Record<string, unknown> {
    const { buttons, mode, botType, parentId, seed, width, height, ...common } = job.wire;
    const properties = { ...common.properties };
    if (job.hook) properties.notifyHook = job.hook;
    if (this.flavor === 'novicezk') return { ...common, properties };
    return { ...common, properties, buttons, mode, botType, parentId, seed, width, height };
  }

  /**
   * POSTs the task to its notifyHook: unsigned, fire-and-forget, no retries. Now and then (always
   * for a prompt with `sandbox:hook-reorder`) a progress report is held back and sent just after
   * the next one, so reports arrive out of order as the proxy's thread pool lets them; the last
   * report is never held, but one held before it may still arrive after it.
   */
  private notify(job: Job): void {
    if (!job.hook) return;
    const url = job.hook;
    const body = JSON.stringify(this.wire(job));
    const send = async (payload: string) => {
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: payload, signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer().catch(() => undefined);
      } catch {
        // Lost: the proxy only logs it.
      }
    };
    const held = job.heldReport;
    job.heldReport = undefined;
    const terminal = job.wire.status === 'SUCCESS' || job.wire.status === 'FAILURE';
    if (!held && !terminal && (job.reorderHooks || Math.random() < 0.2)) {
      job.heldReport = body;
      return;
    }
    void send(body).then(() => (held ? send(held) : undefined));
  }

  private update(job: Job, update: Partial<WireTask>): void {
    Object.assign(job.wire, update);
    this.notify(job);
  }

  // ---- the queue ----

  /** Queues a job: code 1, 22 with the number ahead, or 23 when the queue is full. */
  private enqueue(job: Job, prompt: string): SubmitAnswer {
    if (prompt.includes(QUEUE_FULL_TRIGGER) || this.waiting.length >= (this.context.timing.mjQueueSize ?? QUEUE_SIZE)) {
      this.jobs.delete(job.wire.id);
      return { code: 23, description: '队列已满，请稍后尝试', result: null, properties: { discordInstanceId: DISCORD_INSTANCE_ID } };
    }
    const ahead = this.waiting.length;
    job.wire.status = 'NOT_START';
    job.wire.progress = '0%';
    this.jobs.set(job.wire.id, job);
    this.waiting.push(job);
    this.context.later(0, () => this.pump());
    const properties = { discordInstanceId: DISCORD_INSTANCE_ID, discordChannelId: DISCORD_INSTANCE_ID };
    if (ahead > 0) return { code: 22, description: `排队中，前面还有${ahead}个任务`, result: job.wire.id, properties: { ...properties, numberOfQueues: ahead } };
    return { code: 1, description: '提交成功', result: job.wire.id, properties };
  }

  private pump(): void {
    while (this.running < (this.context.timing.mjConcurrency ?? CONCURRENCY) && this.waiting.length) {
      const job = this.waiting.shift()!;
      this.running++;
      this.start(job);
    }
  }

  private release(): void {
    this.running = Math.max(0, this.running - 1);
    this.pump();
  }

  private start(job: Job): void {
    void this.run(job).catch((error: Error) => {
      // Not after a reset: the job is gone, and its slot with it.
      if (this.jobs.get(job.wire.id) !== job) return;
      if (job.wire.status === 'SUBMITTED' || job.wire.status === 'IN_PROGRESS') this.finishFailed(job, `[Job failed] ${error.message}`);
    });
  }

  /** A pause that reset() and close() cut short for good (the run then simply stops). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => this.context.later(ms, resolve));
  }

  /**
   * SUBMITTED for the queue time, then IN_PROGRESS with a few progress reports, each with a
   * sharper preview, then SUCCESS. Steps run one after the other, so a preview never lands after
   * the result.
   */
  private async run(job: Job): Promise<void> {
    const epoch = job.epoch;
    const { queueMs, runMinMs, runMaxMs, slowMs } = this.context.timing;
    const runMs = job.slow ? slowMs : runMinMs + Math.random() * (runMaxMs - runMinMs);
    const alive = () => job.epoch === epoch && this.jobs.get(job.wire.id) === job;
    this.update(job, { status: 'SUBMITTED', startTime: Date.now(), progress: '0%' });
    await this.pause(queueMs);
    if (!alive()) return;
    this.update(job, { status: 'IN_PROGRESS', progress: '0%' });
    const drawn = (job.render ?? (async () => Buffer.alloc(0)))();
    drawn.catch(() => undefined);
    for (let step = 1; step <= STEPS; step++) {
      await this.pause(runMs / (STEPS + 1));
      if (!alive()) return;
      if (job.fail && step === 2) return this.finishFailed(job, `[Job failed] Midjourney could not finish this job (${FAIL_TRIGGER})`);
      const percent = `${Math.round((step * 100) / (STEPS + 1))}%`;
      if (job.kind === 'describe') {
        this.update(job, { progress: percent });
        continue;
      }
      const shot = await preview(await drawn, job.size, step / (STEPS + 1));
      if (!alive()) return;
      this.update(job, { progress: percent, imageUrl: this.cdn.put(job.cdnBase, shot, 'webp') });
    }
    await this.pause(runMs / (STEPS + 1));
    const image = await drawn;
    if (!alive()) return;
    this.succeed(job, image);
  }

  private succeed(job: Job, image: Buffer): void {
    const hash = randomUUID();
    const update: Partial<WireTask> = { status: 'SUCCESS', progress: '100%', finishTime: Date.now() };
    const properties: Record<string, unknown> = { ...job.wire.properties, messageHash: hash, messageId: newId(), flags: 0 };
    if (job.kind === 'describe') {
      update.imageUrl = job.wire.imageUrl;
      const lines = (job.prompts ?? []).map((prompt, i) => `${i + 1}\uFE0F\u20E3 ${prompt}`).join('\n\n');
      properties.finalPrompt = lines;
      if (this.flavor === 'trueai') update.promptEn = lines;
    } else {
      const file = join(this.context.dir('mj-tasks'), `${job.wire.id}.png`);
      writeFileSync(file, image);
      job.imageFile = file;
      update.imageUrl = this.cdn.put(job.cdnBase, image, 'png');
      update.width = job.size.width;
      update.height = job.size.height;
      update.buttons = job.kind === 'grid' ? gridButtons(hash) : job.kind === 'upscale' ? upscaleButtons(hash) : upscaleHdButtons(hash);
    }
    update.properties = properties;
    this.update(job, update);
    this.release();
  }

  private finishFailed(job: Job, reason: string): void {
    const wasRunning = job.wire.status === 'SUBMITTED' || job.wire.status === 'IN_PROGRESS';
    const waitingAt = this.waiting.indexOf(job);
    if (waitingAt >= 0) this.waiting.splice(waitingAt, 1);
    job.epoch++;
    this.update(job, { status: 'FAILURE', progress: '', failReason: reason, finishTime: Date.now() });
    if (wasRunning) this.release();
  }

  // ---- submissions ----

  private newJob(req: Request, res: Response, init: { action: string; prompt: string; description: string; kind: Job['kind']; size: Size; seed?: string; parent?: Job; finalPrompt?: string }): Job {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const modeMatch = /\/mj-(fast|relax|turbo)\/mj$/.exec(req.baseUrl);
    const botType = body.botType === 'NIJI_JOURNEY' ? 'NIJI_JOURNEY' : 'MID_JOURNEY';
    return {
      wire: {
        id: newId(),
        action: init.action,
        status: 'NOT_START',
        prompt: init.prompt,
        promptEn: init.prompt,
        description: init.description,
        // Both come from this request only (a child does not inherit its parent's), as in NewTask().
        state: typeof body.state === 'string' ? body.state : null,
        submitTime: Date.now(),
        startTime: null,
        finishTime: null,
        progress: '0%',
        imageUrl: null,
        failReason: null,
        properties: { finalPrompt: init.finalPrompt ?? init.prompt, discordInstanceId: DISCORD_INSTANCE_ID, discordChannelId: DISCORD_INSTANCE_ID },
        buttons: [],
        mode: modeMatch ? (modeMatch[1].toUpperCase() as WireTask['mode']) : 'FAST',
        botType,
        parentId: init.parent?.wire.id ?? null,
        seed: init.seed ?? null,
        width: null,
        height: null,
      },
      hook: hookOf(body),
      cdnBase: res.locals.cdnBase as string,
      kind: init.kind,
      size: init.size,
      fail: init.prompt.includes(FAIL_TRIGGER),
      slow: init.prompt.includes(SLOW_TRIGGER),
      parent: init.parent,
      epoch: 0,
      reorderHooks: init.prompt.includes(HOOK_REORDER_TRIGGER),
    };
  }

  private banned(prompt: string): SubmitAnswer | null {
    if (!prompt.includes(BANNED_TRIGGER)) return null;
    return { code: 24, description: '可能包含敏感词', result: null, properties: { promptEn: prompt, bannedWord: BANNED_TRIGGER } };
  }

  async imagine(req: Request, res: Response): Promise<SubmitAnswer> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const prompt = text(body.prompt).trim();
    if (!prompt) return { code: 4, description: 'prompt不能为空' };
    const refs = Array.isArray(body.base64Array) ? body.base64Array : body.base64Array === undefined || body.base64Array === null ? [] : null;
    const references = refs ? await decodeImages(refs) : null;
    if (!references) return { code: 4, description: 'base64格式错误' };
    const banned = this.banned(prompt);
    if (banned) return banned;
    const seed = seedOf(prompt);
    const ar = aspectOf(prompt) ?? [1, 1];
    const size = sizeForAspect(ar[0], ar[1]);
    const base = res.locals.cdnBase as string;
    const urls = references.map((bytes) => this.cdn.put(base, bytes, 'png'));
    const job = this.newJob(req, res, { action: 'IMAGINE', prompt, description: `/imagine ${prompt}`, kind: 'grid', size, seed, finalPrompt: [...urls, prompt].join(' ') });
    job.render = () => renderGrid(prompt, seed, size);
    return this.enqueue(job, prompt);
  }

  async blend(req: Request, res: Response): Promise<SubmitAnswer> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const list = Array.isArray(body.base64Array) ? body.base64Array : [];
    if (list.length < 2 || list.length > 5) return { code: 4, description: 'base64List参数错误' };
    const dimensions = body.dimensions ?? 'SQUARE';
    const aspects: Record<string, [number, number]> = { PORTRAIT: [2, 3], SQUARE: [1, 1], LANDSCAPE: [3, 2] };
    if (typeof dimensions !== 'string' || !aspects[dimensions]) return { code: 4, description: 'dimensions参数错误' };
    const images = await decodeImages(list);
    if (!images) return { code: 4, description: 'base64格式错误' };
    const size = sizeForAspect(...aspects[dimensions]);
    const seed = String(randomBytes(4).readUInt32BE());
    const urls = images.map((bytes) => this.cdn.put(res.locals.cdnBase as string, bytes, 'png'));
    const finalPrompt = `${urls.join(' ')} --ar ${aspects[dimensions].join(':')}`;
    const job = this.newJob(req, res, { action: 'BLEND', prompt: '', description: '', kind: 'grid', size, seed, finalPrompt });
    job.wire.description = `/blend ${job.wire.id} ${images.length}`;
    job.wire.prompt = null;
    job.wire.promptEn = null;
    job.render = () => renderGrid(`blend ${urls.length}`, seed, size, { kind: 'inputs', inputs: images });
    return this.enqueue(job, '');
  }

  async describe(req: Request, res: Response): Promise<SubmitAnswer> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    let image: Buffer | null = null;
    if (body.base64 !== undefined && body.base64 !== null && body.base64 !== '') {
      image = (await decodeImages([body.base64]))?.[0] ?? null;
      if (!image) return { code: 4, description: 'base64格式错误' };
    } else if (this.flavor === 'trueai' && typeof body.link === 'string' && /^https?:\/\//.test(body.link)) {
      try {
        const response = await fetch(body.link, { signal: AbortSignal.timeout(20_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        image = Buffer.from(await response.arrayBuffer());
        await imageSize(image);
      } catch {
        return { code: 4, description: 'link 无法下载' };
      }
    } else {
      return { code: 4, description: 'base64不能为空' };
    }
    const size = await imageSize(image);
    const job = this.newJob(req, res, { action: 'DESCRIBE', prompt: '', description: `/describe ${newId()}.png`, kind: 'describe', size });
    job.wire.prompt = null;
    job.wire.promptEn = null;
    job.wire.properties.finalPrompt = null;
    job.wire.imageUrl = this.cdn.put(res.locals.cdnBase as string, image, 'png');
    job.prompts = describePrompts(image, size);
    return this.enqueue(job, '');
  }

  /** The parent of an action or change: it must exist (HTTP 404, code 3) and be SUCCESS (code 4). */
  private parentOf(taskId: unknown): Job | SubmitAnswer {
    if (typeof taskId !== 'string' || !taskId) return { code: 4, description: 'taskId不能为空' };
    const parent = this.jobs.get(taskId);
    if (!parent) return { code: 3, description: '关联任务不存在或已失效', httpStatus: 404 };
    if (parent.wire.status !== 'SUCCESS' || !parent.imageFile) return { code: 4, description: '关联任务状态错误' };
    return parent;
  }

  /** A child job of `parent` for a pressed button; modal ones wait for /modal. */
  private childFor(req: Request, res: Response, parent: Job, press: Press): Job | SubmitAnswer {
    const prompt = parent.wire.prompt ?? '';
    const finalPrompt = text(parent.wire.properties.finalPrompt) || prompt;
    const parentImage = () => readFileSync(parent.imageFile!);
    const child = (action: string, kind: Job['kind'], size: Size, description: string, seed?: string) =>
      this.newJob(req, res, { action, prompt, description, kind, size, seed, parent, finalPrompt });
    const isGrid = parent.kind === 'grid';
    const isSingle = parent.kind === 'upscale' || parent.kind === 'upscale_hd';
    const refused: SubmitAnswer = { code: 4, description: '关联任务状态错误' };
    const freshSeed = () => String(randomBytes(4).readUInt32BE());
    switch (press.kind) {
      case 'upscale': {
        if (!isGrid || !(press.index >= 1 && press.index <= 4)) return refused;
        const job = child('UPSCALE', 'upscale', parent.size, `/up ${parent.wire.id} U${press.index}`, parent.wire.seed ?? undefined);
        job.render = async () => cropQuadrant(parentImage(), press.index, parent.size);
        return job;
      }
      case 'variation': {
        if (press.strength ? !isSingle : !isGrid || !(press.index >= 1 && press.index <= 4)) return refused;
        const seed = freshSeed();
        const label = press.strength ? `Vary (${press.strength === 'strong' ? 'Strong' : 'Subtle'})` : `V${press.index}`;
        const job = child('VARIATION', 'grid', parent.size, `/up ${parent.wire.id} ${label}`, seed);
        job.render = () => renderGrid(prompt, seed, parent.size);
        return job;
      }
      case 'reroll': {
        if (!isGrid) return refused;
        const seed = freshSeed();
        const job = child('REROLL', 'grid', parent.size, `/up ${parent.wire.id} R`, seed);
        job.render = () => renderGrid(prompt, seed, parent.size);
        return job;
      }
      case 'upscale_hd': {
        if (!isSingle) return refused;
        const size = { width: parent.size.width * 2, height: parent.size.height * 2 };
        // trueai files the v6 upscales, zooms and custom zoom under the catch-all ACTION (SubmitController.cs).
        const job = child('ACTION', 'upscale_hd', size, `/up ${parent.wire.id} Upscale (${press.mode})`, parent.wire.seed ?? undefined);
        job.render = async () => enlarge(parentImage(), size);
        return job;
      }
      case 'zoom': {
        if (!isSingle) return refused;
        const seed = freshSeed();
        const job = child('ACTION', 'grid', parent.size, `/up ${parent.wire.id} Zoom Out ${press.factor}x`, seed);
        job.render = async () => renderGrid(prompt, seed, parent.size, { kind: 'zoom', parent: parentImage(), factor: press.factor });
        return job;
      }
      case 'pan': {
        if (!isSingle) return refused;
        const horizontal = press.direction === 'left' || press.direction === 'right';
        // A pan adds half of the picture on that side.
        const size = horizontal ? { width: even8(parent.size.width * 1.5), height: parent.size.height } : { width: parent.size.width, height: even8(parent.size.height * 1.5) };
        const seed = freshSeed();
        const job = child('PAN', 'grid', size, `/up ${parent.wire.id} Pan ${press.direction}`, seed);
        job.render = async () => renderGrid(prompt, seed, size, { kind: 'pan', parent: parentImage(), direction: press.direction });
        return job;
      }
      case 'custom_zoom': {
        if (!isSingle) return refused;
        const job = child('ACTION', 'grid', parent.size, 'Waiting for window confirm');
        job.modalKind = 'custom_zoom';
        job.confirm = (modalPrompt) => {
          const zoom = /(?:^|\s)--zoom\s+(\d+(?:\.\d+)?)(?=\s|$)/.exec(modalPrompt);
          const factor = zoom ? Number(zoom[1]) : 2;
          if (!(factor >= 1 && factor <= 2)) return { error: '--zoom 参数错误 (1-2)' };
          const ar = aspectOf(modalPrompt);
          const size = ar ? sizeForAspect(ar[0], ar[1], Math.max(parent.size.width, parent.size.height)) : parent.size;
          const seed = freshSeed();
          job.wire.seed = seed;
          return { size, render: async () => renderGrid(modalPrompt, seed, size, { kind: 'zoom', parent: parentImage(), factor }) };
        };
        return job;
      }
      case 'inpaint': {
        if (!isSingle) return refused;
        const job = child('INPAINT', 'grid', parent.size, `/up ${parent.wire.id} Vary (Region)`);
        job.modalKind = 'inpaint';
        job.confirm = (modalPrompt, mask) => {
          if (!mask) return { error: 'maskBase64不能为空' };
          const seed = freshSeed();
          job.wire.seed = seed;
          return { render: async () => renderGrid(modalPrompt, seed, parent.size, { kind: 'region', parent: parentImage(), mask }) };
        };
        return job;
      }
      default:
        return refused;
    }
  }

  /** trueai `/submit/action`: press one of the parent's buttons. */
  action(req: Request, res: Response): SubmitAnswer {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.taskId !== 'string' || !body.taskId.trim()) return { code: 4, description: '参数错误' };
    const parent = this.parentOf(body.taskId);
    if (!('wire' in parent)) return parent;
    const customId = text(body.customId);
    if (!customId) return { code: 4, description: '参数错误' };
    const press = parent.wire.buttons.some((b) => b.customId === customId) ? readCustomId(customId) : null;
    if (!press) return { code: 4, description: '无效的 customId' };
    const job = this.childFor(req, res, parent, press);
    if (!('wire' in job)) return job;
    if (job.confirm) {
      // Custom zoom and vary region open a Discord form: the task waits as MODAL (code 21).
      job.wire.status = 'MODAL';
      job.wire.properties.remix = true;
      this.jobs.set(job.wire.id, job);
      this.notify(job);
      return { code: 21, description: 'Waiting for window confirm', result: job.wire.id, properties: { finalPrompt: job.wire.properties.finalPrompt, remix: true } };
    }
    return this.enqueue(job, job.wire.prompt ?? '');
  }

  /** trueai `/submit/modal`: confirms a MODAL task with its prompt (custom zoom) or mask (vary region). */
  async modal(req: Request): Promise<SubmitAnswer> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    // trueai wants both (SubmitController.cs Modal): a form is always sent with its prompt.
    const prompt = text(body.prompt).trim();
    if (typeof body.taskId !== 'string' || !body.taskId.trim() || !prompt) return { code: 4, description: '参数错误' };
    const job = this.jobs.get(body.taskId);
    if (!job) return { code: 3, description: '关联任务不存在或已失效', httpStatus: 404 };
    if (job.wire.status !== 'MODAL' || !job.confirm) return { code: 4, description: '关联任务状态错误' };
    const banned = this.banned(prompt);
    if (banned) return banned;
    let mask: Buffer | null = null;
    if (body.maskBase64 !== undefined && body.maskBase64 !== null && body.maskBase64 !== '') {
      mask = (await decodeImages([body.maskBase64]))?.[0] ?? null;
      if (!mask) return { code: 4, description: 'maskBase64格式错误' };
    }
    const confirmed = job.confirm(prompt, mask);
    if (confirmed.error) return { code: 4, description: confirmed.error };
    job.render = confirmed.render;
    if (confirmed.size) job.size = confirmed.size;
    job.confirm = undefined;
    job.wire.prompt = prompt;
    job.wire.promptEn = prompt;
    job.wire.properties.finalPrompt = prompt;
    job.fail = prompt.includes(FAIL_TRIGGER);
    job.slow = prompt.includes(SLOW_TRIGGER);
    this.jobs.delete(job.wire.id);
    const answer = this.enqueue(job, prompt);
    if (answer.code === 23) {
      // The form stays open: the task is still MODAL and may be confirmed later.
      job.wire.status = 'MODAL';
      this.jobs.set(job.wire.id, job);
    } else this.notify(job);
    return answer;
  }

  /** `/submit/change` (novicezk's U/V/R, kept by trueai): `{ taskId, action, index }`. */
  change(req: Request, res: Response, body: Record<string, unknown>): SubmitAnswer {
    const action = body.action;
    if (action !== 'UPSCALE' && action !== 'VARIATION' && action !== 'REROLL') return { code: 4, description: 'action参数错误' };
    const index = Number(body.index);
    if (action !== 'REROLL' && !(Number.isInteger(index) && index >= 1 && index <= 4)) return { code: 4, description: 'index参数错误' };
    // novicezk looks for a task with the same description ("/up <id> U2") first, before the parent.
    const key = `${body.taskId}:${action}:${action === 'REROLL' ? 0 : index}`;
    const existing = this.flavor === 'novicezk' ? this.jobs.get(this.changes.get(key) ?? '') : undefined;
    if (existing && existing.wire.status !== 'FAILURE') {
      return { code: 21, description: '任务已存在', result: existing.wire.id, properties: { status: existing.wire.status, imageUrl: existing.wire.imageUrl } };
    }
    const parent = this.parentOf(body.taskId);
    if (!('wire' in parent)) return parent;
    if (parent.kind !== 'grid') return { code: 4, description: '关联任务不允许执行变化' };
    const press: Press = action === 'UPSCALE' ? { kind: 'upscale', index } : action === 'VARIATION' ? { kind: 'variation', index } : { kind: 'reroll' };
    const job = this.childFor(req, res, parent, press);
    if (!('wire' in job)) return job;
    const answer = this.enqueue(job, job.wire.prompt ?? '');
    if (answer.code !== 23) this.changes.set(key, job.wire.id);
    return answer;
  }

  // ---- queries ----

  fetch(id: string): Record<string, unknown> | null {
    const job = this.jobs.get(id);
    return job ? this.wire(job) : null;
  }

  list(ids: unknown[]): Record<string, unknown>[] {
    return ids.flatMap((id) => {
      const job = typeof id === 'string' ? this.jobs.get(id) : undefined;
      return job ? [this.wire(job)] : [];
    });
  }

  all(): Record<string, unknown>[] {
    return [...this.jobs.values()].sort((a, b) => b.wire.submitTime - a.wire.submitTime).map((job) => this.wire(job));
  }

  queued(): Record<string, unknown>[] {
    return this.waiting.map((job) => this.wire(job));
  }

  /** trueai's cancel: any unfinished task becomes FAILURE "取消任务" (not CANCEL); others stay as they are. */
  cancel(id: string): void {
    const job = this.jobs.get(id);
    const status = job?.wire.status;
    if (!job || status === 'SUCCESS' || status === 'FAILURE' || status === 'CANCEL') return;
    this.finishFailed(job, CANCEL_REASON);
  }
}

/** Pan sizes stay multiples of 8, as Midjourney's are (halves are whole quadrants). */
function even8(value: number): number {
  return Math.max(16, Math.round(value / 8) * 8);
}

/** How each flavor refuses: Spring's JSON error for novicezk, ASP.NET's plain answers for trueai. */
function springError(req: Request, res: Response, status: number, error: string): void {
  res.status(status).json({ timestamp: new Date().toISOString(), status, error, path: req.originalUrl.replace(/^.*?\/mj\/novicezk/, '') });
}

function flavorRouter(flavor: MjFlavor, proxy: MjProxy): Router {
  const router = express.Router();
  const secret = SANDBOX_CREDENTIALS.midjourney.secret;

  // Auth (midjourney-proxy.md §1): novicezk wants mj-api-secret and answers 401 with no body;
  // trueai takes the raw token from Authorization (no "Bearer"), else from mj-api-secret.
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (flavor === 'novicezk') {
      if (req.get('mj-api-secret') !== secret) return void res.status(401).end();
      return next();
    }
    const token = req.get('authorization') ?? req.get('mj-api-secret');
    if (token !== secret) return void res.status(401).type('text/plain').send('Authorization header missing.');
    next();
  });

  const api = express.Router();
  api.use(express.json({ limit: '60mb' }));
  const answer = (res: Response, result: SubmitAnswer) => {
    const { httpStatus, ...body } = result;
    res.status(flavor === 'trueai' ? (httpStatus ?? 200) : 200).json({ properties: {}, result: null, ...body });
  };
  const submit = (handler: (req: Request, res: Response) => SubmitAnswer | Promise<SubmitAnswer>) => async (req: Request, res: Response) => answer(res, await handler(req, res));

  api.post('/submit/imagine', submit((req, res) => proxy.imagine(req, res)));
  api.post('/submit/blend', submit((req, res) => proxy.blend(req, res)));
  api.post('/submit/describe', submit((req, res) => proxy.describe(req, res)));
  api.post('/submit/change', submit((req, res) => proxy.change(req, res, (req.body ?? {}) as Record<string, unknown>)));
  api.post(
    '/submit/simple-change',
    submit((req, res) => {
      // `"<taskId> U2"`, `V1..V4` or `R`.
      const match = /^\s*(\d+)\s+([UV])([1-4])\s*$|^\s*(\d+)\s+R\s*$/i.exec(text(req.body?.content));
      if (!match) return { code: 4, description: 'content参数错误' };
      if (match[4]) return proxy.change(req, res, { taskId: match[4], action: 'REROLL' });
      return proxy.change(req, res, { taskId: match[1], action: match[2].toUpperCase() === 'U' ? 'UPSCALE' : 'VARIATION', index: Number(match[3]) });
    }),
  );
  if (flavor === 'trueai') {
    api.post('/submit/action', submit((req, res) => proxy.action(req, res)));
    api.post('/submit/modal', submit((req) => proxy.modal(req)));
  }

  api.get('/task/:id/fetch', (req, res) => {
    const task = proxy.fetch(String(req.params.id));
    if (task) return void res.json(task);
    // Unknown ids: novicezk answers 200 with no body, ASP.NET turns trueai's null into 204.
    res.status(flavor === 'novicezk' ? 200 : 204).end();
  });
  const listByIds = (req: Request, res: Response) => {
    const ids = (req.body ?? {}).ids;
    res.json(proxy.list(Array.isArray(ids) ? ids : []));
  };
  api.post('/task/list-by-condition', listByIds);
  api.get('/task/list', (_req, res) => void res.json(proxy.all()));
  if (flavor === 'novicezk') api.get('/task/queue', (_req, res) => void res.json(proxy.queued()));
  if (flavor === 'trueai') {
    api.post('/task/list-by-ids', listByIds);
    // TaskController.cs: 200 with no body whatever the id and state.
    api.post('/task/:id/cancel', (req, res) => {
      proxy.cancel(String(req.params.id));
      res.status(200).end();
    });
    api.get('/task/:id/image-seed', (req, res) => {
      const task = proxy.fetch(String(req.params.id));
      if (!task) return void res.status(404).json({ code: 3, description: '关联任务不存在或已失效', result: null, properties: {} });
      if (!task.seed) return void res.status(400).json({ code: 4, description: '关联任务状态错误', result: null, properties: {} });
      res.json({ code: 1, description: '成功', result: task.seed, properties: {} });
    });
  }

  if (flavor === 'trueai') router.use(['/mj', '/mj-fast/mj', '/mj-relax/mj', '/mj-turbo/mj'], api);
  else router.use('/mj', api);

  // Unknown routes and unreadable bodies, each flavor in its framework's words.
  router.use((req: Request, res: Response) => (flavor === 'novicezk' ? springError(req, res, 404, 'Not Found') : void res.status(404).end()));
  router.use((error: Error & { status?: number }, req: Request, res: Response, _next: NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (flavor === 'novicezk') return springError(req, res, status, status === 500 ? 'Internal Server Error' : 'Bad Request');
    res.status(status).json({ type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1', title: 'One or more validation errors occurred.', status });
  });
  return router;
}

/** `/sandbox/mj/{trueai,novicezk}` and the Discord-like CDN for their pictures, `/sandbox/mj-cdn`. */
export function mjRouters(context: SandboxContext, faults: FaultRegistry): { api: Router; cdn: Router } {
  const cdn = new MjCdn(context);
  const api = express.Router();
  api.use(
    providerMiddleware(context, faults, 'midjourney', (res, status) =>
      status === 429 ? void res.status(429).type('text/plain').send('Too Many Requests') : void res.status(500).json({ status: 500, error: 'Internal Server Error' }),
    ),
  );
  api.use((req, res, next) => {
    res.locals.cdnBase = `${req.protocol}://${req.get('host')}${req.baseUrl}-cdn`;
    next();
  });
  for (const flavor of ['trueai', 'novicezk'] as const) api.use(`/${flavor}`, flavorRouter(flavor, new MjProxy(flavor, context, cdn)));
  return { api, cdn: cdn.router() };
}
