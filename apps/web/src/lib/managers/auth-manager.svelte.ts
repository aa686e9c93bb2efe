import type { Schemas } from '@atelier/api-client';
import { storage } from '$lib/utils/storage';

export type User = Schemas['UserDto'];

export const TOKEN_KEY = 'atelier.token';

/** `loading` until the stored token has been checked against GET /users/me. */
export type SessionStatus = 'loading' | 'ready' | 'error';

/** The session: the token (kept in localStorage) and the signed-in user. */
class AuthManager {
  token = $state<string | null>(null);
  user = $state<User | null>(null);
  status = $state<SessionStatus>('loading');
  /** Why the last session ended, when the person should be told on the sign-in page. */
  endedBecause = $state<'disabled' | null>(null);

  constructor() {
    this.token = storage.get(TOKEN_KEY);
    if (typeof window !== 'undefined') {
      // Signing in or out in another tab applies here too.
      window.addEventListener('storage', (event) => {
        if (event.key !== TOKEN_KEY && event.key !== null) return;
        const token = storage.get(TOKEN_KEY);
        if (token === this.token) return;
        this.onExternalChange?.(token);
      });
    }
  }

  /** Set by the session service: reacts to another tab's sign-in or sign-out. */
  onExternalChange: ((token: string | null) => void) | null = null;

  get signedIn(): boolean {
    return this.token !== null && this.user !== null;
  }

  get isAdmin(): boolean {
    return this.user?.role === 'admin';
  }

  setSession(token: string, user: User): void {
    storage.set(TOKEN_KEY, token);
    this.token = token;
    this.user = user;
    this.status = 'ready';
    this.endedBecause = null;
  }

  setUser(user: User): void {
    this.user = user;
  }

  clear(): void {
    storage.set(TOKEN_KEY, null);
    this.token = null;
    this.user = null;
  }
}

export const authManager = new AuthManager();
