import type { Component } from 'svelte';
import type { Messages } from '$lib/i18n/zh-CN';
import { HOME_PATH } from '$lib/services/session.service';
import CreditsPage from './admin/CreditsPage.svelte';
import FluxPage from './admin/FluxPage.svelte';
import JimengAdminPage from './admin/JimengAdminPage.svelte';
import KlingAdminPage from './admin/KlingAdminPage.svelte';
import MidjourneyAdminPage from './admin/MidjourneyAdminPage.svelte';
import PricesPage from './admin/PricesPage.svelte';
import SmsPage from './admin/SmsPage.svelte';
import StoragePage from './admin/StoragePage.svelte';
import UsersPage from './admin/UsersPage.svelte';
import FilesPage from './FilesPage.svelte';
import HistoryPage from './HistoryPage.svelte';
import ImagesPage from './ImagesPage.svelte';
import MidjourneyPage from './MidjourneyPage.svelte';
import ResetPasswordPage from './ResetPasswordPage.svelte';
import SettingsPage from './SettingsPage.svelte';
import SignInPage from './SignInPage.svelte';
import SignUpPage from './SignUpPage.svelte';
import VideosPage from './VideosPage.svelte';

/** `guest`: only when signed out; `user`: signed in; `admin`: signed in with the admin role. */
export type Access = 'guest' | 'user' | 'admin';

export interface RouteDefinition {
  path: string;
  access: Access;
  title: (m: Messages) => string;
  /** A page component; it is given the route's `props`. */
  component: Component<any>;
  props?: Record<string, unknown>;
}

export const routes: RouteDefinition[] = [
  { path: '/signin', access: 'guest', title: (m) => m.auth.signInTitle, component: SignInPage },
  { path: '/signup', access: 'guest', title: (m) => m.auth.signUpTitle, component: SignUpPage },
  { path: '/forgot-password', access: 'guest', title: (m) => m.auth.resetTitle, component: ResetPasswordPage },
  { path: '/images', access: 'user', title: (m) => m.studio.title, component: ImagesPage },
  { path: '/midjourney', access: 'user', title: (m) => m.midjourney.title, component: MidjourneyPage },
  { path: '/videos', access: 'user', title: (m) => m.videos.title, component: VideosPage },
  { path: '/history', access: 'user', title: (m) => m.history.title, component: HistoryPage },
  { path: '/files', access: 'user', title: (m) => m.files.title, component: FilesPage },
  { path: '/settings', access: 'user', title: (m) => m.settings.title, component: SettingsPage },
  { path: '/admin/users', access: 'admin', title: (m) => m.admin.users.title, component: UsersPage },
  { path: '/admin/sms', access: 'admin', title: (m) => m.admin.sms.title, component: SmsPage },
  { path: '/admin/storage', access: 'admin', title: (m) => m.admin.storage.title, component: StoragePage },
  { path: '/admin/credits', access: 'admin', title: (m) => m.admin.credits.title, component: CreditsPage },
  { path: '/admin/flux', access: 'admin', title: (m) => m.admin.flux.title, component: FluxPage },
  { path: '/admin/midjourney', access: 'admin', title: (m) => m.admin.midjourney.title, component: MidjourneyAdminPage },
  { path: '/admin/kling', access: 'admin', title: (m) => m.admin.kling.title, component: KlingAdminPage },
  { path: '/admin/jimeng', access: 'admin', title: (m) => m.admin.jimeng.title, component: JimengAdminPage },
  { path: '/admin/prices', access: 'admin', title: (m) => m.admin.prices.title, component: PricesPage },
];

/** Paths that only redirect, by whether the visitor is signed in. */
const aliases: Record<string, { signedIn: string; signedOut: string }> = {
  '/': { signedIn: HOME_PATH, signedOut: '/signin' },
  '/admin': { signedIn: '/admin/users', signedOut: '/signin' },
};

export type Resolution =
  | { kind: 'page'; route: RouteDefinition }
  | { kind: 'redirect'; to: string; returnTo?: string }
  | { kind: 'not-found' };

/** Decides what a path shows, applying the sign-in and admin guards. */
export function resolve(path: string, session: { signedIn: boolean; isAdmin: boolean }): Resolution {
  const alias = aliases[path];
  if (alias) return { kind: 'redirect', to: session.signedIn ? alias.signedIn : alias.signedOut };

  const route = routes.find((candidate) => candidate.path === path);
  if (!route) return { kind: 'not-found' };
  if (route.access === 'guest') {
    return session.signedIn ? { kind: 'redirect', to: HOME_PATH } : { kind: 'page', route };
  }
  if (!session.signedIn) return { kind: 'redirect', to: '/signin', returnTo: path };
  if (route.access === 'admin' && !session.isAdmin) return { kind: 'redirect', to: HOME_PATH };
  return { kind: 'page', route };
}
