import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Router } from 'express';
import type { SandboxContext } from '../context.js';

/**
 * Discord's CDN, where Midjourney's pictures live: attachment URLs carry `ex` (expiry, hex
 * seconds), `is` (issued) and `hm` (a signature); past `ex`, or with a touched signature, the file
 * is gone. That is why the app must store results itself (midjourney-proxy.md §5.9).
 */
export class MjCdn {
  private readonly files = new Map<string, { path: string; contentType: string }>();
  private readonly key = randomBytes(32);

  constructor(private readonly context: SandboxContext) {
    context.onReset(() => this.clear());
  }

  private sign(id: string, name: string, ex: string, is: string): string {
    return createHmac('sha256', this.key).update(`${id}/${name}?${ex}&${is}`).digest('hex');
  }

  /** Stores `bytes` and returns a URL valid for the sandbox's output TTL. */
  put(base: string, bytes: Buffer, ext: 'png' | 'webp' | 'jpg'): string {
    const id = randomUUID().replaceAll('-', '');
    const name = `${id.slice(0, 12)}.${ext}`;
    const path = join(this.context.dir('mj-cdn'), `${id}.${ext}`);
    writeFileSync(path, bytes);
    this.files.set(id, { path, contentType: ext === 'jpg' ? 'image/jpeg' : `image/${ext}` });
    const now = Date.now() / 1000;
    // Rounded up, so a link lives at least the whole TTL.
    const ex = Math.ceil(now + this.context.outputTtlSeconds).toString(16);
    const is = Math.floor(now).toString(16);
    return `${base}/attachments/1118138338562560102/${id}/${name}?ex=${ex}&is=${is}&hm=${this.sign(id, name, ex, is)}&`;
  }

  clear(): void {
    for (const file of this.files.values()) rmSync(file.path, { force: true });
    this.files.clear();
  }

  router(): Router {
    const router = express.Router();
    router.get('/attachments/:channel/:id/:name', (req, res) => {
      const file = this.files.get(req.params.id);
      const { ex, is, hm } = req.query;
      const valid =
        file &&
        typeof ex === 'string' &&
        typeof is === 'string' &&
        hm === this.sign(req.params.id, req.params.name, ex, is) &&
        Date.now() / 1000 <= Number.parseInt(ex, 16) &&
        existsSync(file.path);
      if (!valid) {
        res.status(404).type('text/plain').send('This content is no longer available.');
        return;
      }
      res.status(200).type(file.contentType).set('Content-Length', String(statSync(file.path).size));
      createReadStream(file.path).pipe(res);
    });
    return router;
  }
}
