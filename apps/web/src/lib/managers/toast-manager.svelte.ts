export type ToastKind = 'success' | 'error' | 'info';

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
  /** A second, smaller line, e.g. the server's own wording. */
  detail?: string;
}

const DURATION_MS: Record<ToastKind, number> = { success: 4000, info: 5000, error: 8000 };
const MAX_TOASTS = 5;

class ToastManager {
  items = $state<Toast[]>([]);
  #nextId = 1;
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  show(kind: ToastKind, message: string, detail?: string): number {
    const id = this.#nextId++;
    // The same message twice in a row (e.g. a double click) is shown once.
    const last = this.items.at(-1);
    if (last && last.kind === kind && last.message === message && last.detail === detail) this.dismiss(last.id);
    this.items.push({ id, kind, message, detail });
    while (this.items.length > MAX_TOASTS) this.dismiss(this.items[0].id);
    this.#timers.set(
      id,
      setTimeout(() => this.dismiss(id), DURATION_MS[kind]),
    );
    return id;
  }

  success(message: string, detail?: string): number {
    return this.show('success', message, detail);
  }

  error(message: string, detail?: string): number {
    return this.show('error', message, detail);
  }

  info(message: string, detail?: string): number {
    return this.show('info', message, detail);
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    const index = this.items.findIndex((toast) => toast.id === id);
    if (index !== -1) this.items.splice(index, 1);
  }
}

export const toastManager = new ToastManager();
