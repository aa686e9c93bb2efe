import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { authManager } from '$lib/managers/auth-manager.svelte';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { request, type Result } from './api-result';

export type BindingStatus = Schemas['BindingStatusDto'];
type User = Schemas['UserDto'];

/** Which phone and email are bound, and which of them may be removed. */
export function getBindingStatus(): Promise<Result<BindingStatus>> {
  return request(() => api.GET('/api/v1/auths/binding-status'));
}

/** Binds a first phone, or replaces the bound one; `code` was texted for purpose bind or change. */
export async function bindPhone(body: { phone: string; code: string }, changing: boolean): Promise<Result<User>> {
  const result = await request(() => api.POST('/api/v1/auths/bind-phone', { body }), {
    fields: { phone: 'bindPhone', code: 'bindCode' },
  });
  if (result.ok) {
    authManager.setUser(result.data);
    const m = i18n.m.settings.bindings;
    toastManager.success(i18n.format(changing ? m.phoneChanged : m.phoneBound, { phone: result.data.phone ?? body.phone }));
  }
  return result;
}

/** Binds or changes the email; `password` is the current one, or the one to set when there is none. */
export async function bindEmail(body: { email: string; password: string }, changing: boolean): Promise<Result<User>> {
  const result = await request(() => api.POST('/api/v1/auths/bind-email', { body }), {
    fields: { email: 'bindEmail', password: 'bindPassword' },
  });
  if (result.ok) {
    authManager.setUser(result.data);
    const m = i18n.m.settings.bindings;
    toastManager.success(i18n.format(changing ? m.emailChanged : m.emailBound, { email: result.data.email ?? body.email }));
  }
  return result;
}

/**
 * Removes the phone or the email. A refusal (409: it is the last way to sign in) is toasted, and
 * its `message` is returned for the card to show as well.
 */
export async function unbind(what: 'phone' | 'email'): Promise<Result<User>> {
  const result = await request(() =>
    what === 'phone' ? api.DELETE('/api/v1/auths/unbind-phone') : api.DELETE('/api/v1/auths/unbind-email'),
  );
  if (result.ok) {
    authManager.setUser(result.data);
    const m = i18n.m.settings.bindings;
    toastManager.success(what === 'phone' ? m.phoneUnbound : m.emailUnbound);
  }
  return result;
}
