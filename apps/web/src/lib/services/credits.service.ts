import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { authManager } from '$lib/managers/auth-manager.svelte';
import { creditsManager } from '$lib/managers/credits-manager.svelte';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { request, type Result } from './api-result';

export type CreditBalance = Schemas['CreditBalanceDto'];
export type CreditLedgerEntry = Schemas['CreditLedgerEntryDto'];
export type CreditLedgerPage = Schemas['CreditLedgerPageDto'];
export type CreditEntryKind = Schemas['CreditEntryKind'];
export type GrantResult = Schemas['GrantResultDto'];
export type CreditSettings = Schemas['CreditSettingsDto'];

/** Ledger entries per page on the settings page. */
export const LEDGER_PAGE_SIZE = 20;

/** The API's limits (GrantCreditsDto, SaveCreditSettingsDto). */
export const GRANT_LIMIT = 1_000_000_000;
export const GRANT_REASON_MAX = 300;
export const SIGNUP_GRANT_MAX = 1_000_000;

/** The signed-in user's balance and the 10 latest entries. */
export function getMyCredits(): Promise<Result<CreditBalance>> {
  return request(() => api.GET('/api/v1/credits'));
}

export function getMyCreditLedger(cursor: string | null, limit = LEDGER_PAGE_SIZE): Promise<Result<CreditLedgerPage>> {
  const query = { limit, ...(cursor ? { cursor } : {}) };
  return request(() => api.GET('/api/v1/credits/ledger', { params: { query } }));
}

/**
 * Admin: adds credits to a user's account, or deducts them with a negative amount. A deduction
 * below zero (409) is left to the dialog, which shows the API's message beside the form.
 */
export async function grantCredits(
  user: { id: string; name: string },
  amount: number,
  reason: string,
): Promise<Result<GrantResult>> {
  const result = await request(
    () => api.POST('/api/v1/admin/credits/grant', { body: { userId: user.id, amount, reason } }),
    { fields: { amount: 'grantAmount', reason: 'grantReason' }, inline: [409] },
  );
  if (!result.ok) return result;
  const m = i18n.m.admin.credits;
  const balance = i18n.formatNumber(result.data.balance);
  const count = i18n.formatNumber(Math.abs(amount));
  toastManager.success(
    i18n.format(amount > 0 ? m.granted : m.deducted, { name: user.name, amount: count, balance }),
  );
  // Credits given to yourself show in the sidebar and the settings page at once.
  if (result.data.userId === authManager.user?.id) void creditsManager.refresh();
  return result;
}

export function getCreditSettings(): Promise<Result<CreditSettings>> {
  return request(() => api.GET('/api/v1/admin/credits/settings'));
}

export async function saveCreditSettings(signupGrant: number, topUpMessage?: string): Promise<Result<CreditSettings>> {
  const result = await request(() => api.PUT('/api/v1/admin/credits/settings', { body: { signupGrant, topUpMessage } }), {
    fields: ['signupGrant', 'topUpMessage'],
  });
  if (result.ok) {
    toastManager.success(
      i18n.format(i18n.m.admin.credits.signupGrantSaved, { amount: i18n.formatNumber(result.data.signupGrant) }),
    );
  }
  return result;
}

/**
 * A ledger entry's reason in the reader's words: a task's charge names its model, a refund says
 * why the task failed from its error code (the provider's own words stay in the entry's `reason`,
 * shown as a tooltip); other entries keep the server's reason (an admin's words, or the system's,
 * already in the request's language).
 */
export function ledgerReason(entry: CreditLedgerEntry): string {
  const task = entry.task;
  if (!task) return entry.reason || i18n.m.common.none;
  const m = i18n.m.settings.credits;
  const model = i18n.locale === 'zh-CN' ? task.modelNameZhCN : task.modelName;
  if (entry.kind === 'charge') return i18n.format(m.reasonCharge, { model });
  if (entry.kind === 'refund') {
    const why = task.errorCode ? i18n.m.tasks.errorCodes[task.errorCode] : entry.reason;
    return i18n.format(m.reasonRefund, { model, why });
  }
  return `${model} · ${entry.reason}`;
}
