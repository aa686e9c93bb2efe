import { createApiClient } from '@atelier/api-client';
import { authManager } from '$lib/managers/auth-manager.svelte';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';

/**
 * The one client the app talks to the API with. The token is read on every request; a 401 on
 * an authenticated call ends the session, and the router guard then sends the user to /signin,
 * which says why when an admin disabled the account.
 */
export const api = createApiClient({
  getToken: () => authManager.token,
  // Messages the API words (errors, refusals) come in the UI's language.
  getLanguage: () => i18n.locale,
  onUnauthorized: (error) => {
    if (!authManager.token) return;
    const wasSignedIn = authManager.user !== null;
    authManager.clear();
    if (error?.errorCode === 'account_disabled') authManager.endedBecause = 'disabled';
    else if (wasSignedIn) toastManager.info(i18n.m.auth.sessionExpired);
  },
});
