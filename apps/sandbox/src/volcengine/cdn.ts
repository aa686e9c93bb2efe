import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Router } from 'express';
import type { SandboxContext } from '../context.js';

/**
 * Volcengine's result storage (TOS behind a CDN): `video_url` and `image_urls` are signed links
 * that stop working (video 1 h, images 24 h; jimeng-volcengine.md §4, §5), which is why the app
 * must download its results. Here every link lives the sandbox's output TTL; past it, or with a
 * touched signature, the answer is 403.
 */
export class VolcCdn {
  private readonly files = new Map<string, { path: string; contentType: string; owned: boolean }>();
  private readonly key = randomBytes(32);

  constructor(private readonly context: SandboxContext) {
    context.onReset(() => this.clear());
  }

  private sign(id: string, name: string, expires: string): string {
    return createHmac('sha256', this.key).update(`${id}/${name}?${expires}`).digest('hex');
  }

  private link(base: string, path: string, name: string, contentType: string, owned: boolean): string {
    const id = randomUUID().replaceAll('-', '');
    this.files.set(id, { path, contentType, owned });
    // Rounded up, so a link lives at least the whole TTL.
    const expires = String(Math.ceil(Date.now() / 1000 + this.context.outputTtlSeconds));
    return `${base}/tos-cn-i-sandbox/${id}/${name}?x-expires=${expires}&x-signature=${this.sign(id, name, expires)}`;
  }

  /** A link to a rendered video (the renderer's cache keeps the file). */
  video(base: string, file: string): string {
    return this.link(base, file, 'video.mp4', 'video/mp4', false);
  }

  /** Stores a JPEG and links it. */
  image(base: string, bytes: Buffer): string {
    const path = join(this.context.dir('volcengine-cdn'), `${randomUUID()}.jpeg`);
    writeFileSync(path, bytes);
    return this.link(base, path, 'image.jpeg', 'image/jpeg', true);
  }

  clear(): void {
    for (const file of this.files.values()) if (file.owned) rmSync(file.path, { force: true });
    this.files.clear();
  }

  router(): Router {
    const router = express.Router();
    router.get('/tos-cn-i-sandbox/:id/:name', (req, res) => {
      const file = this.files.get(req.params.id);
      const expires = req.query['x-expires'];
      const valid =
        file &&
        typeof expires === 'string' &&
        req.query['x-signature'] === this.sign(req.params.id, req.params.name, expires) &&
        Date.now() / 1000 <= Number(expires) &&
        existsSync(file.path);
      if (!valid) {
        res.status(403).type('application/xml').send('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired or the signature does not match</Message></Error>');
        return;
      }
      res.sendFile(file!.path, { headers: { 'Content-Type': file!.contentType }, lastModified: false, etag: false });
    });
    return router;
  }
}
