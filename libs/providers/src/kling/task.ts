/**
 * Kling's task object (../shared/providers/kling.md §5, §7, §8), as the query answers' `data`, the
 * submit answers' `data` and the callback body carry it. Ids stay strings (they are larger than a
 * safe integer), times are ms, `duration` is a string of seconds, and success is spelled `succeed`.
 */

export type KlingTaskStatus = 'submitted' | 'processing' | 'succeed' | 'failed';

/** Our task engine's words for Kling's statuses. */
export type KlingPhase = 'queued' | 'running' | 'succeeded' | 'failed';

export interface KlingVideo {
  id: string;
  url: string;
  watermarkUrl: string | null;
  /** As Kling sends it, e.g. `"5.1"`. */
  duration: string;
  durationSeconds: number | null;
}

export interface KlingTask {
  id: string;
  /** Kling's status; an unknown value (a future status) is kept as sent. */
  status: KlingTaskStatus | string;
  phase: KlingPhase;
  terminal: boolean;
  /** Why it failed (e.g. content risk control); empty otherwise. */
  statusMessage: string;
  externalTaskId: string | null;
  /** Only when `succeed`. */
  videos: KlingVideo[];
  createdAt: number | null;
  updatedAt: number | null;
  finalUnitDeduction: string | null;
  raw: Record<string, unknown>;
}

const PHASES: Record<KlingTaskStatus, KlingPhase> = { submitted: 'queued', processing: 'running', succeed: 'succeeded', failed: 'failed' };

const str = (value: unknown): string | null => (typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : null);
const ms = (value: unknown): number | null => {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : null;
};

/** Whether `value` looks like a Kling task (it has a task id). */
export function isRawKlingTask(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value) && str((value as Record<string, unknown>).task_id) !== null;
}

function videosOf(result: unknown): KlingVideo[] {
  const videos = result && typeof result === 'object' ? (result as { videos?: unknown }).videos : undefined;
  if (!Array.isArray(videos)) return [];
  return videos.flatMap((video): KlingVideo[] => {
    if (!video || typeof video !== 'object') return [];
    const v = video as Record<string, unknown>;
    const url = str(v.url);
    if (!url) return [];
    const duration = str(v.duration) ?? '';
    const seconds = Number(duration);
    return [{ id: str(v.id) ?? '', url, watermarkUrl: str(v.watermark_url), duration, durationSeconds: duration !== '' && Number.isFinite(seconds) ? seconds : null }];
  });
}

export function normalizeKlingTask(raw: Record<string, unknown>): KlingTask {
  const status = str(raw.task_status) ?? '';
  const phase = PHASES[status as KlingTaskStatus] ?? 'running';
  const info = raw.task_info && typeof raw.task_info === 'object' ? (raw.task_info as Record<string, unknown>) : {};
  return {
    id: str(raw.task_id)!,
    status,
    phase,
    terminal: phase === 'succeeded' || phase === 'failed',
    statusMessage: str(raw.task_status_msg) ?? '',
    externalTaskId: str(info.external_task_id) || null,
    videos: status === 'succeed' ? videosOf(raw.task_result) : [],
    createdAt: ms(raw.created_at),
    updatedAt: ms(raw.updated_at),
    finalUnitDeduction: str(raw.final_unit_deduction),
    raw,
  };
}

/**
 * A callback body (no envelope), or null when it is not a task. Callbacks are unsigned: treat one
 * as a hint and query the task for the truth (§8).
 */
export function parseKlingCallback(body: unknown): KlingTask | null {
  const value = typeof body === 'string' ? safeJson(body) : body;
  return isRawKlingTask(value) ? normalizeKlingTask(value) : null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
