import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { smsCooldownManager } from '$lib/managers/sms-cooldown-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { maskPhone } from '$lib/utils/validation';
import { request, type Result } from './api-result';

export type SmsCodePurpose = Schemas['SmsCodePurpose'];
export type SmsCodeSent = Schemas['SmsCodeSentDto'];

export interface SendCodeOptions {
  /** The form's name for the phone input, where the API's `phone` errors are shown. */
  phoneField: string;
}

/**
 * Asks the API to text a code to `phone` (already normalised). Starts the wait before the next
 * code: the API's cooldownSeconds, or the Retry-After of a 429. bind and change go with the
 * session's token (the client adds it), register and login without one.
 */
export async function sendSmsCode(
  phone: string,
  purpose: SmsCodePurpose,
  { phoneField }: SendCodeOptions,
): Promise<Result<SmsCodeSent>> {
  const signedIn = purpose === 'bind' || purpose === 'change';
  const result = await request(() => api.POST('/api/v1/auths/send-sms-code', { body: { phone, purpose } }), {
    fields: { phone: phoneField },
    session: signedIn,
  });
  if (result.ok) {
    smsCooldownManager.start(phone, result.data.cooldownSeconds);
    toastManager.success(i18n.format(i18n.m.auth.codeSent, { phone: maskPhone(phone) }));
  } else if (result.status === 429 && result.retryAfter) {
    smsCooldownManager.start(phone, result.retryAfter);
  }
  return result;
}
