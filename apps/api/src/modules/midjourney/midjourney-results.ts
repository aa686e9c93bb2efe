/**
 * What a midjourney-proxy task means for the task engine (pure, unit-tested): our status, the
 * outputs of a finished job (a grid and its four images, or one image), describe's prompts, and
 * the actions the finished task offers as our own keys.
 */
import { actionKeysOf, type MjActionKey, type MjButton, type MjTask, parseDescribePrompts } from '@atelier/providers/midjourney';
import type { ProviderUpdate, TaskOutput } from '../scheduler/provider-adapter.js';
import { catalogueEntry } from './midjourney-actions.js';

/** What the engine keeps of a proxy task, in the task's provider state (never sent to clients). */
export interface MjState {
  /** The proxy's task id (a numeric string: never parsed). */
  mjId?: string;
  flavor?: 'trueai' | 'novicezk';
  /** The finished task's buttons, sent back verbatim to /submit/action (trueai). */
  buttons?: MjButton[];
  /** The action keys it offers, worked out when it finished. */
  offers?: MjActionKey[];
  /** The place in the proxy's queue it was given (code 22); the task object does not say it again. */
  queuePosition?: number | null;
}

/** The grid's quadrants in Midjourney's order: 1 top left, 2 top right, 3 bottom left, 4 bottom right. */
export const QUADRANTS = [0, 1, 2, 3].map((i) => ({ left: (i % 2) * 0.5, top: Math.floor(i / 2) * 0.5, width: 0.5, height: 0.5 }));

const GRID_OFFERS: MjActionKey[] = ['upscale:1', 'upscale:2', 'upscale:3', 'upscale:4', 'vary:1', 'vary:2', 'vary:3', 'vary:4', 'reroll'];

/** trueai's `imageUrls` (`[{ url, thumbnail }]` or plain strings): the four images of a grid, when given. */
export function singleImageUrls(raw: Record<string, unknown>): string[] {
  const list = raw.imageUrls;
  if (!Array.isArray(list)) return [];
  const urls = list.map((item) => (typeof item === 'string' ? item : item && typeof item === 'object' ? (item as { url?: unknown }).url : null)).filter((url): url is string => typeof url === 'string' && /^https?:\/\//.test(url));
  return urls.length === 4 ? urls : [];
}

/** The outputs of a finished image job: a grid first, then its four images (given, or cut from it). */
export function outputsOf(task: MjTask, result: 'grid' | 'image'): TaskOutput[] {
  const url = task.imageUrl!;
  const seed = typeof task.raw.seed === 'string' || typeof task.raw.seed === 'number' ? String(task.raw.seed) : undefined;
  const metadata = (extra: Record<string, unknown>) => ({ ...(seed ? { seed } : {}), ...extra });
  if (result === 'image') return [{ url, role: 'image', metadata: metadata({}) }];
  const singles = singleImageUrls(task.raw);
  return [
    { url, role: 'grid', metadata: metadata({}) },
    ...QUADRANTS.map((region, index): TaskOutput =>
      singles.length
        ? { url: singles[index], role: 'image', metadata: metadata({ index: index + 1 }) }
        : { url, role: 'image', metadata: metadata({ index: index + 1 }), derive: { from: 0, region } },
    ),
  ];
}

/** The action keys a finished task offers: its buttons (trueai), or U/V/R of a grid (novicezk has no buttons). */
export function offersOf(task: MjTask, flavor: 'trueai' | 'novicezk', result: 'grid' | 'image' | 'text'): MjActionKey[] {
  if (flavor === 'trueai') return actionKeysOf(task.buttons);
  return result === 'grid' ? GRID_OFFERS : [];
}

const FLAGGED = /banned|sensitive|moderat|flagged|敏感|违规|屏蔽/i;

/** Our status for the proxy's task; `action` is our catalogue key of the task (imagine, upscale:2, ...). */
export function updateFromTask(task: MjTask, action: string, flavor: 'trueai' | 'novicezk', queuePosition: number | null = null): ProviderUpdate {
  switch (task.phase) {
    case 'queued':
    case 'modal':
      // Still waiting in the proxy's own queue: the place it was given at submission is the best known.
      return { status: 'queued', progress: 0, queuePosition: task.status === 'NOT_START' ? queuePosition : null };
    case 'running':
      return { status: 'running', progress: task.progress ?? undefined, previewUrl: task.imageUrl };
    case 'canceled':
      return { status: 'failed', error: `canceled at the proxy (${task.failReason ?? 'CANCEL'})` };
    case 'failed': {
      const reason = task.failReason ?? 'Midjourney reported a failure without a reason';
      return { status: 'failed', error: reason, contentFlagged: FLAGGED.test(reason) };
    }
    case 'succeeded':
      break;
  }
  const entry = catalogueEntry(action);
  const result = entry?.result ?? 'grid';
  const buttons = task.buttons.map((button) => ({ customId: button.customId }));
  const providerState = { buttons, offers: offersOf(task, flavor, result) };
  if (result === 'text') {
    const prompts = parseDescribePrompts(task.finalPrompt ?? task.promptEn);
    if (prompts.length === 0) return { status: 'failed', error: 'Midjourney finished the describe without any prompt' };
    return { status: 'succeeded', outputs: [], result: { prompts }, providerState };
  }
  if (!task.imageUrl) return { status: 'failed', error: 'Midjourney finished without an image' };
  return { status: 'succeeded', outputs: outputsOf(task, result), providerState };
}
