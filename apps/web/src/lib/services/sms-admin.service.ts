import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { request, type Result } from './api-result';

export type SmsConfig = Schemas['SmsConfigDto'];
export type SaveSmsConfig = Schemas['SaveSmsConfigDto'];
export type SmsProvider = Schemas['SmsProvider'];
export type SmsBalance = Schemas['SmsBalanceDto'];

/** The API's field names → the inputs of the SMS settings form. */
export const SMS_CONFIG_FIELDS = {
  provider: 'smsProvider',
  enabled: 'smsEnabled',
  username: 'smsUsername',
  password: 'smsPassword',
  baseUrl: 'smsBaseUrl',
  signature: 'smsSignature',
  template: 'smsTemplate',
  cooldownSeconds: 'cooldownSeconds',
  maxPerPhonePerDay: 'maxPerPhonePerDay',
  maxPerIpPerHour: 'maxPerIpPerHour',
} as const;

export function getSmsConfig(): Promise<Result<SmsConfig>> {
  return request(() => api.GET('/api/v1/auths/sms/config'));
}

export async function saveSmsConfig(body: SaveSmsConfig): Promise<Result<SmsConfig>> {
  const result = await request(() => api.POST('/api/v1/auths/sms/config', { body }), { fields: SMS_CONFIG_FIELDS });
  if (result.ok) toastManager.success(i18n.m.admin.sms.saved);
  return result;
}

/**
 * Messages sent and left on the provider's account. Its refusals (502), a provider that is not
 * set up (503) and other failures are shown in the balance panel, not toasted: the page loads it
 * on every visit.
 */
export function getSmsBalance(): Promise<Result<SmsBalance>> {
  return request(() => api.GET('/api/v1/auths/sms/balance'), { inline: [400, 502, 503] });
}

/** Sends a test message; the provider's reason for a refusal is shown beside the form. */
export async function sendTestSms(phone: string): Promise<Result<Schemas['SmsTestResultDto']>> {
  const result = await request(() => api.POST('/api/v1/auths/sms/test', { body: { phone } }), {
    fields: { phone: 'testPhone' },
    inline: [400, 502, 503],
  });
  if (result.ok) toastManager.success(i18n.format(i18n.m.admin.sms.testSent, { phone }));
  return result;
}
