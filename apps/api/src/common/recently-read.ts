/**
 * Values read at most once per `ttlMs` per key, for settings read on every request or task: callers
 * within that time share one read (a failed read is not kept). A change made on this instance calls
 * `clear()` and shows at once; one made on another instance shows within `ttlMs`.
 */
export class RecentlyRead<K, V> {
  private readonly entries = new Map<K, { at: number; value: Promise<V> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly read: (key: K) => Promise<V>,
  ) {}

  get(key: K): Promise<V> {
    const entry = this.entries.get(key);
    if (entry && Date.now() - entry.at < this.ttlMs) return entry.value;
    return this.keep(key, this.read(key));
  }

  /** Records a value just read elsewhere (e.g. by a caller that always reads fresh). */
  keep(key: K, value: Promise<V>): Promise<V> {
    const entry = { at: Date.now(), value };
    this.entries.set(key, entry);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
