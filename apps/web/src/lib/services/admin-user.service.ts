import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { authManager } from '$lib/managers/auth-manager.svelte';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { request, type Result } from './api-result';

export type User = Schemas['UserDto'];
/** A user as the admin list shows them: with their credit balance. */
export type AdminUser = Schemas['AdminUserDto'];
export type UserPage = Schemas['UserPageDto'];
export type UserRole = Schemas['UserRole'];
export type UserStatus = Schemas['UserStatus'];

export interface UserQuery {
  search?: string;
  page: number;
  pageSize: number;
}

export function searchUsers({ search, page, pageSize }: UserQuery): Promise<Result<UserPage>> {
  const query = { page, pageSize, ...(search?.trim() ? { search: search.trim() } : {}) };
  return request(() => api.GET('/api/v1/admin/users', { params: { query } }));
}

/** Changes a user's role or status; the API's refusals (e.g. the last admin) become a toast. */
export async function updateUser(user: User, changes: { role?: UserRole; status?: UserStatus }): Promise<Result<User>> {
  const result = await request(() =>
    api.PATCH('/api/v1/admin/users/{id}', { params: { path: { id: user.id } }, body: changes }),
  );
  if (!result.ok) return result;
  const updated = result.data;
  const m = i18n.m.admin.users;
  if (changes.role) {
    toastManager.success(i18n.format(m.roleChanged, { name: updated.name, role: m.roles[updated.role] }));
  }
  if (changes.status) {
    toastManager.success(i18n.format(m.statusChanged, { name: updated.name, status: m.statuses[updated.status] }));
  }
  // Demoting yourself (with another admin left) takes effect in this session at once.
  if (updated.id === authManager.user?.id) authManager.setUser(updated);
  return result;
}

/** Sets a user's password (they are asked to change it); refusals naming the field go to the form. */
export async function setUserPassword(user: User, newPassword: string): Promise<Result<User>> {
  const result = await request(
    () => api.POST('/api/v1/admin/users/{id}/password', { params: { path: { id: user.id } }, body: { newPassword } }),
    { fields: ['newPassword'] },
  );
  if (result.ok) toastManager.success(i18n.format(i18n.m.admin.users.passwordSet, { name: result.data.name }));
  return result;
}
