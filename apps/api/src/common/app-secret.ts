import { hkdfSync } from 'node:crypto';

/** Derives an independent key per purpose from the app secret, so one leaked key exposes nothing else. */
export function deriveSecret(appSecret: string, purpose: string, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', appSecret, 'atelier', `atelier:${purpose}`, length));
}
