import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { authManager } from '$lib/managers/auth-manager.svelte';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { request, type Result } from './api-result';

type User = Schemas['UserDto'];

export async function updateProfile(name: string): Promise<Result<User>> {
  const result = await request(() => api.PATCH('/api/v1/users/me', { body: { name } }), {
    fields: { name: 'profileName' },
  });
  if (result.ok) {
    authManager.setUser(result.data);
    toastManager.success(i18n.m.settings.profile.saved);
  }
  return result;
}

/** `currentPassword` is left out when the account has no password yet. */
export async function changePassword(body: { currentPassword?: string; newPassword: string }): Promise<Result<User>> {
  const result = await request(() => api.PATCH('/api/v1/users/me', { body }), {
    fields: ['currentPassword', 'newPassword'],
  });
  if (result.ok) {
    // A new password ends every other session, this one's token too: the answer carries its successor.
    const { token, expiresIn: _expiresIn, ...user } = result.data;
    if (token) authManager.setSession(token, user);
    else authManager.setUser(user);
    toastManager.success(i18n.m.settings.password.changed);
  }
  return result;
}

/** Reloads the signed-in user, e.g. after a change the page may have missed. */
export async function refreshUser(): Promise<Result<User>> {
  const result = await request(() => api.GET('/api/v1/users/me'));
  if (result.ok) authManager.setUser(result.data);
  return result;
}
