import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { request, type Result } from './api-result';

export type ModelPrice = Schemas['ModelPriceDto'];
export type PriceTable = Schemas['PriceTableDto'];
export type PriceChange = Schemas['PriceChangeDto'];

/** The API's limit (PriceChangeDto). */
export const PRICE_MAX = 1_000_000;

/** Identifies a model across providers, e.g. "flux/flux-pro". */
export function priceKey(price: Pick<ModelPrice, 'provider' | 'model'>): string {
  return `${price.provider}/${price.model}`;
}

/** The price in credits of every model of every provider. */
export function getPrices(): Promise<Result<PriceTable>> {
  return request(() => api.GET('/api/v1/admin/prices'));
}

/**
 * Saves the changed prices, all or none (`price: null` returns a model to its default). The
 * API's complaints about a change (`prices.<n>.price`) are handed back under `fields[n]`, the
 * name of that row's input.
 */
export async function savePrices(changes: PriceChange[], fields: string[]): Promise<Result<PriceTable>> {
  const map: Record<string, string> = {};
  fields.forEach((field, index) => {
    map[`prices.${index}.price`] = field;
    map[`prices.${index}.model`] = field;
    map[`prices.${index}.provider`] = field;
  });
  const result = await request(() => api.PUT('/api/v1/admin/prices', { body: { prices: changes } }), { fields: map });
  if (result.ok) {
    toastManager.success(i18n.format(i18n.m.admin.prices.saved, { count: i18n.formatNumber(changes.length) }));
  }
  return result;
}
