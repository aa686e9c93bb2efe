import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, type Sandbox, type SandboxOptions } from '../src/index.js';

export interface RunningSandbox {
  sandbox: Sandbox;
  /** e.g. http://127.0.0.1:PORT/sandbox */
  base: string;
  port: number;
  close(): Promise<void>;
}

/** The sandbox on a random port, mounted under /sandbox as the API mounts it. */
export async function startSandbox(options: Partial<SandboxOptions> = {}): Promise<RunningSandbox> {
  const dataDir = mkdtempSync(join(tmpdir(), 'atelier-sandbox-'));
  const sandbox = createSandbox({ dataDir, timing: { queueMs: 60, runMinMs: 60, runMaxMs: 120 }, ...options });
  const app = express();
  app.use('/sandbox', sandbox.router);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as { port: number }).port;
  return {
    sandbox,
    port,
    base: `http://127.0.0.1:${port}/sandbox`,
    close: async () => {
      sandbox.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(25);
  }
}
