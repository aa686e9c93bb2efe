import { authManager } from '$lib/managers/auth-manager.svelte';
import {
  type CreditLedgerEntry,
  getMyCreditLedger,
  getMyCredits,
  LEDGER_PAGE_SIZE,
} from '$lib/services/credits.service';

/**
 * The signed-in user's credits: the balance (shown in the sidebar) and, once the settings page
 * asks for it, the ledger, newest first, in cursor pages.
 */
class CreditsManager {
  balance = $state<number | null>(null);
  /** How to get credits, in the administrator's words; shown where the balance runs out. */
  topUpMessage = $state<string | null>(null);
  /** `loading`: the balance is on its way and none is known yet. */
  status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  refreshing = $state(false);

  entries = $state<CreditLedgerEntry[]>([]);
  nextCursor = $state<string | null>(null);
  ledgerStatus = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  loadingMore = $state(false);

  /** Whose credits these are, so another account never sees them, even for a moment. */
  #owner: string | null = null;
  #balanceRequest = 0;
  #ledgerRequest = 0;

  /** Loads the balance once per signed-in user (e.g. after sign-in); later calls keep it. */
  ensureLoaded(): Promise<void> {
    this.#checkOwner();
    if (this.status === 'ready' || this.status === 'loading' || !this.#owner) return Promise.resolve();
    return this.loadBalance();
  }

  /** Reads the balance again, and the ledger's newest entries if the ledger is shown. */
  async refresh(): Promise<void> {
    this.#checkOwner();
    if (!this.#owner) return;
    this.refreshing = true;
    await Promise.all([this.loadBalance(), this.ledgerStatus === 'idle' ? null : this.#refreshLedger()]);
    this.refreshing = false;
  }

  async loadBalance(): Promise<void> {
    this.#checkOwner();
    const id = ++this.#balanceRequest;
    if (this.balance === null) this.status = 'loading';
    const result = await getMyCredits();
    if (id !== this.#balanceRequest) return;
    if (!result.ok) {
      if (this.balance === null) this.status = 'error';
      return;
    }
    this.balance = result.data.balance;
    this.topUpMessage = result.data.topUpMessage;
    this.status = 'ready';
  }

  /** Loads the first page of the ledger. */
  async loadLedger(): Promise<void> {
    this.#checkOwner();
    const id = ++this.#ledgerRequest;
    this.ledgerStatus = 'loading';
    this.loadingMore = false;
    const result = await getMyCreditLedger(null);
    if (id !== this.#ledgerRequest) return;
    if (!result.ok) {
      this.ledgerStatus = 'error';
      return;
    }
    this.entries = result.data.items;
    this.nextCursor = result.data.nextCursor;
    this.ledgerStatus = 'ready';
  }

  /** Loads the next page; resolves to whether one was added. */
  async loadMore(): Promise<boolean> {
    const cursor = this.nextCursor;
    if (!cursor || this.loadingMore || this.ledgerStatus !== 'ready') return false;
    const id = this.#ledgerRequest;
    this.loadingMore = true;
    const result = await getMyCreditLedger(cursor);
    if (id !== this.#ledgerRequest) return false;
    this.loadingMore = false;
    if (!result.ok) return false;
    const seen = new Set(this.entries.map((entry) => entry.id));
    this.entries.push(...result.data.items.filter((entry) => !seen.has(entry.id)));
    this.nextCursor = result.data.nextCursor;
    return true;
  }

  /**
   * Puts the newest entries on top, keeping the pages already loaded; when more entries arrived
   * than one page holds, starts over from the first page.
   */
  async #refreshLedger(): Promise<void> {
    if (this.ledgerStatus !== 'ready' || this.entries.length === 0) return this.loadLedger();
    const id = ++this.#ledgerRequest;
    this.loadingMore = false;
    const result = await getMyCreditLedger(null, LEDGER_PAGE_SIZE);
    if (id !== this.#ledgerRequest || !result.ok) return;
    const seen = new Set(this.entries.map((entry) => entry.id));
    const overlaps = result.data.items.some((entry) => seen.has(entry.id));
    if (!overlaps) {
      this.entries = result.data.items;
      this.nextCursor = result.data.nextCursor;
      return;
    }
    this.entries.unshift(...result.data.items.filter((entry) => !seen.has(entry.id)));
  }

  #checkOwner(): void {
    const owner = authManager.user?.id ?? null;
    if (owner === this.#owner) return;
    this.#owner = owner;
    this.#balanceRequest++;
    this.#ledgerRequest++;
    this.balance = null;
    this.status = 'idle';
    this.refreshing = false;
    this.entries = [];
    this.nextCursor = null;
    this.ledgerStatus = 'idle';
    this.loadingMore = false;
  }
}

export const creditsManager = new CreditsManager();
