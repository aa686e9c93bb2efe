/**
 * The proxy's task object (../shared/providers/midjourney-proxy.md §3.1) and its normalized shape.
 */
import type { MjButton } from './actions.js';

export const MJ_TASK_STATUSES = ['NOT_START', 'SUBMITTED', 'MODAL', 'IN_PROGRESS', 'FAILURE', 'SUCCESS', 'CANCEL'] as const;
export type MjTaskStatus = (typeof MJ_TASK_STATUSES)[number];

/** What the proxy sends; every field may be missing or null, unknown fields are kept untouched. */
export interface MjRawTask {
  id: string;
  action?: string | null;
  status?: string | null;
  prompt?: string | null;
  promptEn?: string | null;
  description?: string | null;
  state?: string | null;
  submitTime?: number | null;
  startTime?: number | null;
  finishTime?: number | null;
  progress?: string | null;
  imageUrl?: string | null;
  failReason?: string | null;
  properties?: Record<string, unknown> | null;
  buttons?: MjButton[] | null;
  [field: string]: unknown;
}

/**
 * Our phases: `queued` (NOT_START, SUBMITTED), `modal` (waits for /mj/submit/modal), `running`,
 * and the terminal `succeeded`, `failed`, `canceled` (trueai's cancel shows as FAILURE
 * "取消任务", the CANCEL status is kept for the plus edition).
 */
export type MjPhase = 'queued' | 'modal' | 'running' | 'succeeded' | 'failed' | 'canceled';

export interface MjTask {
  id: string;
  /** IMAGINE, UPSCALE, VARIATION, ... as the proxy names it; null when missing. */
  action: string | null;
  /** The proxy's status, or null for a value we do not know. */
  status: MjTaskStatus | null;
  phase: MjPhase;
  terminal: boolean;
  /** 0..100, or null when the proxy gave none (queued, failed). */
  progress: number | null;
  /** The preview while running, the result once succeeded; expires, so download it. */
  imageUrl: string | null;
  failReason: string | null;
  prompt: string | null;
  promptEn: string | null;
  /** The prompt Midjourney ran (`properties.finalPrompt`); for describe, its four prompts. */
  finalPrompt: string | null;
  state: string | null;
  submitTime: number | null;
  startTime: number | null;
  finishTime: number | null;
  buttons: MjButton[];
  properties: Record<string, unknown>;
  raw: MjRawTask;
}

/** The text trueai's cancel endpoint writes into failReason (TaskController.cs). */
export const MJ_CANCEL_REASON = '取消任务';

const STATUSES = new Set<string>(MJ_TASK_STATUSES);

export function isMjTaskStatus(value: unknown): value is MjTaskStatus {
  return typeof value === 'string' && STATUSES.has(value);
}

/** `"45%"` → 45; `""`, null or nonsense → null; clamped to 0..100. */
export function parseProgress(progress: unknown): number | null {
  if (typeof progress === 'number') return Number.isFinite(progress) ? Math.min(100, Math.max(0, Math.round(progress))) : null;
  if (typeof progress !== 'string') return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(progress);
  if (!match) return null;
  return Math.min(100, Math.max(0, Math.round(Number(match[1]))));
}

/** The phase of a status; an unknown status counts as running, so we keep polling rather than give up. */
export function phaseOf(status: MjTaskStatus | null, failReason?: string | null): MjPhase {
  switch (status) {
    case 'NOT_START':
    case 'SUBMITTED':
      return 'queued';
    case 'MODAL':
      return 'modal';
    case 'SUCCESS':
      return 'succeeded';
    case 'FAILURE':
      return failReason?.trim() === MJ_CANCEL_REASON ? 'canceled' : 'failed';
    case 'CANCEL':
      return 'canceled';
    default:
      return 'running';
  }
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const time = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** Whether a parsed JSON value looks like a task (an object with an id). */
export function isRawTask(value: unknown): value is MjRawTask {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const id = (value as { id?: unknown }).id;
  return (typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isFinite(id));
}

/** The normalized task. Ids are kept as strings (they exceed JavaScript's safe integers). */
export function normalizeTask(raw: MjRawTask): MjTask {
  const status = isMjTaskStatus(raw.status) ? raw.status : null;
  const failReason = text(raw.failReason);
  const phase = phaseOf(status, failReason);
  const properties = raw.properties && typeof raw.properties === 'object' ? raw.properties : {};
  let progress = parseProgress(raw.progress);
  if (phase === 'succeeded') progress = 100;
  return {
    id: String(raw.id),
    action: text(raw.action),
    status,
    phase,
    terminal: phase === 'succeeded' || phase === 'failed' || phase === 'canceled',
    progress,
    imageUrl: text(raw.imageUrl),
    failReason,
    prompt: text(raw.prompt),
    promptEn: text(raw.promptEn),
    finalPrompt: text(properties.finalPrompt),
    state: text(raw.state),
    submitTime: time(raw.submitTime),
    startTime: time(raw.startTime),
    finishTime: time(raw.finishTime),
    buttons: Array.isArray(raw.buttons) ? raw.buttons.filter((b) => b && typeof b.customId === 'string') : [],
    properties,
    raw,
  };
}

/**
 * The four prompts of a describe result. Midjourney numbers them with keycap emoji
 * (`1️⃣ a cat ... --ar 1:1`), some proxies with `1.`; blank lines separate them.
 */
export function parseDescribePrompts(finalPrompt: string | null | undefined): string[] {
  if (!finalPrompt) return [];
  const prompts: string[] = [];
  let current: string[] = [];
  const flush = () => {
    const prompt = current.join(' ').trim();
    if (prompt) prompts.push(prompt);
    current = [];
  };
  for (const line of finalPrompt.split(/\r?\n/)) {
    const numbered = /^\s*(?:[1-9]\uFE0F?\u20E3|[1-9][.)、])\s*(.*)$/u.exec(line);
    if (numbered) {
      flush();
      current.push(numbered[1]);
    } else if (line.trim() === '') {
      flush();
    } else {
      current.push(line.trim());
    }
  }
  flush();
  return prompts;
}
