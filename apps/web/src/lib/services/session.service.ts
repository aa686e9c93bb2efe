import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { authManager } from '$lib/managers/auth-manager.svelte';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { router } from '$lib/managers/router-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { request, type Result } from './api-result';

type SignInBody = Schemas['SignInDto'];
type SignUpBody = Schemas['SignUpDto'];
type PhoneSignInBody = Schemas['SignInWithPhoneDto'];
type PhonePasswordSignInBody = Schemas['SignInWithPhonePasswordDto'];
type PhoneSignUpBody = Schemas['SignUpWithPhoneDto'];
type ResetPasswordBody = Schemas['ResetPasswordDto'];
type AuthResponse = Schemas['AuthResponseDto'];

/**
 * The sign-in and sign-up forms name their fields after the form (one `identifier` input for the
 * phone or the email): the map from the API's field names to them.
 */
export type FormFields = Readonly<Record<string, string>>;

export const HOME_PATH = '/images';

/** Checks the stored token by loading the current user. */
export async function loadSession(): Promise<void> {
  if (!authManager.token) {
    authManager.status = 'ready';
    return;
  }
  authManager.status = 'loading';
  const result = await request(() => api.GET('/api/v1/users/me'));
  if (result.ok) {
    authManager.setUser(result.data);
    authManager.status = 'ready';
  } else if (result.status === 401 || result.status === 403) {
    authManager.clear();
    authManager.status = 'ready';
  } else {
    // The server is unreachable or failing: keep the token and offer a retry.
    authManager.status = 'error';
  }
}

/** Starts the session: loads the user and follows sign-in and sign-out in other tabs. */
export function initSession(): Promise<void> {
  authManager.onExternalChange = (token) => {
    if (token === null) {
      authManager.clear();
      return;
    }
    authManager.token = token;
    void loadSession();
  };
  return loadSession();
}

/** Runs a sign-in or sign-up call; on success starts the session and greets the user. */
async function enter(
  call: () => Promise<{ data?: AuthResponse; error?: unknown; response: Response }>,
  fields: FormFields,
  greeting: 'welcome' | 'accountCreated' | 'passwordReset',
  /** Statuses the form shows itself (a wrong password, next to the fields), not as a toast. */
  inline?: readonly number[],
): Promise<Result<AuthResponse>> {
  const result = await request(call, { fields, session: false, inline });
  if (result.ok) {
    startSession(result.data);
    toastManager.success(i18n.format(i18n.m.auth[greeting], { name: result.data.user.name }));
  }
  return result;
}

/** Password sign-ins answer a wrong password (401) to the form, which shows it inline. */
const SIGN_IN_INLINE = [401] as const;

export const signIn = (body: SignInBody, fields: FormFields) =>
  enter(() => api.POST('/api/v1/auths/signin', { body }), fields, 'welcome', SIGN_IN_INLINE);

export const signUp = (body: SignUpBody, fields: FormFields) => enter(() => api.POST('/api/v1/auths/signup', { body }), fields, 'accountCreated');

/** Signs in with a code texted for purpose `login`. */
export const signInWithPhone = (body: PhoneSignInBody, fields: FormFields) =>
  enter(() => api.POST('/api/v1/auths/signin-phone', { body }), fields, 'welcome', SIGN_IN_INLINE);

/** Signs in with a phone number and the account's password. */
export const signInWithPhonePassword = (body: PhonePasswordSignInBody, fields: FormFields) =>
  enter(() => api.POST('/api/v1/auths/signin-phone-password', { body }), fields, 'welcome', SIGN_IN_INLINE);

/** Sets a new password with a code texted for purpose `reset`, and signs in. */
export const resetPassword = (body: ResetPasswordBody, fields: FormFields) =>
  enter(() => api.POST('/api/v1/auths/reset-password', { body }), fields, 'passwordReset', SIGN_IN_INLINE);

/** Creates an account with a code texted for purpose `register`. */
export const signUpWithPhone = (body: PhoneSignUpBody, fields: FormFields) =>
  enter(() => api.POST('/api/v1/auths/signup-phone', { body }), fields, 'accountCreated');

export function signOut(): void {
  authManager.clear();
  router.returnTo = null;
  toastManager.info(i18n.m.auth.signedOut);
  router.goto('/signin', { replace: true });
}

function startSession({ token, user }: AuthResponse): void {
  authManager.setSession(token, user);
  const target = router.returnTo ?? HOME_PATH;
  router.returnTo = null;
  router.goto(target, { replace: true });
}
