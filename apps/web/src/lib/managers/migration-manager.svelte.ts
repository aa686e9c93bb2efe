import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { failureMessage } from '$lib/services/api-result';
import { getMigration, type MigrationJob, startMigration } from '$lib/services/storage-admin.service';
import { sessionStore } from '$lib/utils/storage';

/** The last job started in this tab, so a reload keeps showing it. */
const STORAGE_KEY = 'atelier.migrationJob';
const POLL_MS = 1000;

/**
 * The migration tool: copies files that still point outside our storage into it. Polls the job
 * every second while it runs and a page is watching.
 */
class MigrationManager {
  job = $state<MigrationJob | null>(null);
  starting = $state(false);
  /** Why the last progress check failed; polling stops until Retry. */
  error = $state<string | null>(null);
  /** Counts jobs seen finishing here, so the statistics can follow. */
  completed = $state(0);

  #timer: ReturnType<typeof setTimeout> | undefined;
  #watchers = 0;
  #inFlight: string | null = null;

  get running(): boolean {
    return this.job?.status === 'running';
  }

  /** 0..100; a job with nothing to copy is complete. */
  get percent(): number {
    const job = this.job;
    if (!job) return 0;
    if (job.total === 0) return job.status === 'running' ? 0 : 100;
    return Math.min(100, Math.round(((job.done + job.failed) / job.total) * 100));
  }

  /** Called by the page while it shows the tool: resumes the remembered job; returns the stop. */
  watch(): () => void {
    this.#watchers++;
    const id = this.job?.id ?? sessionStore.get(STORAGE_KEY);
    if (id && (!this.job || this.running)) void this.#poll(id);
    return () => {
      this.#watchers = Math.max(0, this.#watchers - 1);
      if (this.#watchers === 0) clearTimeout(this.#timer);
    };
  }

  async start(): Promise<void> {
    if (this.starting || this.running) return;
    this.starting = true;
    const result = await startMigration();
    this.starting = false;
    if (!result.ok) return;
    sessionStore.set(STORAGE_KEY, result.data.jobId);
    this.job = null;
    this.#seenRunning.add(result.data.jobId);
    await this.#poll(result.data.jobId);
  }

  retry(): void {
    const id = this.job?.id ?? sessionStore.get(STORAGE_KEY);
    if (id) void this.#poll(id);
  }

  async #poll(id: string): Promise<void> {
    // One check at a time per job (a page shown again while one is on its way).
    if (this.#inFlight === id) return;
    clearTimeout(this.#timer);
    this.#inFlight = id;
    const result = await getMigration(id).finally(() => {
      if (this.#inFlight === id) this.#inFlight = null;
    });
    if (!result.ok) {
      if (result.status === 404 || result.status === 400) {
        // The server no longer knows it: forget it.
        sessionStore.set(STORAGE_KEY, null);
        if (this.job?.id === id) this.job = null;
        this.error = null;
      } else {
        this.error = failureMessage(result);
      }
      return;
    }
    this.error = null;
    this.job = result.data;
    if (result.data.status === 'running') {
      this.#seenRunning.add(id);
      if (this.#watchers > 0) this.#timer = setTimeout(() => void this.#poll(id), POLL_MS);
      return;
    }
    // Seen running (or started) here: say how it ended, once.
    if (this.#seenRunning.delete(id)) this.#announce(result.data);
  }

  /** Jobs started or seen running in this page's life; a job found already finished is not announced. */
  #seenRunning = new Set<string>();

  #announce(job: MigrationJob): void {
    this.completed++;
    const m = i18n.m.admin.storage;
    const counts = { done: job.done, failed: job.failed, total: job.total };
    if (job.status === 'failed') toastManager.error(m.migrationStopped);
    else if (job.failed > 0) toastManager.info(i18n.format(m.migrationFinishedWithFailures, counts));
    else toastManager.success(i18n.format(m.migrationFinished, counts));
  }
}

export const migrationManager = new MigrationManager();
