import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import express, { type Router } from 'express';
import type { SandboxContext } from '../context.js';

/**
 * Kling's CDN: result URLs are anti-leech signed and stop working (kling.md §4, §10.7), which is
 * why the app must download and keep its videos. Links carry an expiry (seconds) and an HMAC over
 * path and expiry; past the expiry, or with a touched signature, the answer is 403.
 */
export class KlingCdn {
  private readonly files = new Map<string, string>();
  private readonly key = randomBytes(32);

  constructor(private readonly context: SandboxContext) {
    // The files are the renderer's cache and stay; only the links die.
    context.onReset(() => this.files.clear());
  }

  private sign(id: string, name: string, expires: string): string {
    return createHmac('sha256', this.key).update(`${id}/${name}?${expires}`).digest('hex');
  }

  /** A signed URL for `file`, valid for the sandbox's output TTL. */
  link(base: string, file: string, name = 'output.mp4'): string {
    const id = randomUUID().replaceAll('-', '');
    this.files.set(id, file);
    // Rounded up, so a link lives at least the whole TTL.
    const expires = String(Math.ceil(Date.now() / 1000 + this.context.outputTtlSeconds));
    return `${base}/bs2/upload-kling-api/${id}/${name}?x-expires=${expires}&x-signature=${this.sign(id, name, expires)}`;
  }

  router(): Router {
    const router = express.Router();
    router.get('/bs2/upload-kling-api/:id/:name', (req, res) => {
      const file = this.files.get(req.params.id);
      const expires = req.query['x-expires'];
      const valid =
        file &&
        typeof expires === 'string' &&
        req.query['x-signature'] === this.sign(req.params.id, req.params.name, expires) &&
        Date.now() / 1000 <= Number(expires) &&
        existsSync(file);
      if (!valid) {
        res.status(403).type('application/xml').send('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired or the signature does not match</Message></Error>');
        return;
      }
      // sendFile answers Range requests, as a CDN does for video players.
      res.sendFile(file, { headers: { 'Content-Type': 'video/mp4' }, lastModified: false, etag: false });
    });
    return router;
  }
}
