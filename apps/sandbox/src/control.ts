import express, { type Request, type Response, type Router } from 'express';
import { PROVIDERS, type ProviderName, type SandboxContext } from './context.js';
import { type FaultRegistry, type FaultSettings, NO_FAULTS } from './faults.js';

function badRequest(res: Response, message: string): void {
  res.status(400).json({ error: message });
}

/**
 * The control API: never part of any real provider. Lets tests and demos read the SMS outbox,
 * inject faults, count provider calls, change timings and reset the sandbox.
 */
export function controlRouter(context: SandboxContext, faults: FaultRegistry): Router {
  const router = express.Router();
  router.use(express.json());

  router.get('/sms', (req: Request, res: Response) => {
    const phone = typeof req.query.phone === 'string' ? req.query.phone : undefined;
    res.json(context.smsOutbox.filter((m) => !phone || m.phone === phone));
  });

  router.get('/requests', (req: Request, res: Response) => {
    const provider = typeof req.query.provider === 'string' ? req.query.provider : undefined;
    res.json(context.requests.filter((r) => !provider || r.provider === provider));
  });

  router.get('/faults', (_req: Request, res: Response) => {
    res.json(faults.all());
  });

  router.post('/faults', (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const provider = body.provider as ProviderName;
    if (!PROVIDERS.includes(provider)) return badRequest(res, `provider must be one of ${PROVIDERS.join(', ')}`);
    const settings: Partial<FaultSettings> = {};
    for (const name of Object.keys(NO_FAULTS) as Array<keyof FaultSettings>) {
      const value = body[name];
      if (value === undefined) continue;
      const max = name === 'latencyMs' ? 600_000 : 1;
      if (typeof value !== 'number' || !(value >= 0 && value <= max)) return badRequest(res, `${name} must be a number from 0 to ${max}`);
      settings[name] = value;
    }
    res.json({ provider, ...faults.set(provider, settings) });
  });

  /** `{ "offsetMs": n }`: the Volcengine gateway's clock runs n ms ahead (negative: behind), so X-Dates look stale. */
  router.post('/volcengine/clock', (req: Request, res: Response) => {
    const offsetMs = (req.body ?? {}).offsetMs;
    if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs) || Math.abs(offsetMs) > 366 * 86_400_000) return badRequest(res, 'offsetMs must be a number of milliseconds (at most a year)');
    context.volcengine.clockOffsetMs = offsetMs;
    res.json({ offsetMs });
  });

  router.get('/fal/stats', (_req: Request, res: Response) => {
    res.json({ statusCalls: context.falStats.statusCalls, completions: Object.fromEntries(context.falStats.completions) });
  });

  /** `{ "held": true }` holds new fal jobs in the queue; `{ "held": false }` starts every held one. */
  router.post('/fal/hold', (req: Request, res: Response) => {
    const held = (req.body ?? {}).held;
    if (typeof held !== 'boolean') return badRequest(res, 'held must be true or false');
    const hold = context.falHold;
    hold.held = held;
    const released = held ? 0 : hold.waiting.length;
    if (!held) for (const start of hold.waiting.splice(0)) start();
    res.json({ held, waiting: hold.waiting.length, released });
  });

  router.get('/timing', (_req: Request, res: Response) => {
    res.json({ ...context.timing, outputTtlSeconds: context.outputTtlSeconds });
  });

  router.post('/timing', (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = { ...context.timing };
    for (const name of Object.keys(next) as Array<keyof typeof next>) {
      const value = body[name];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !(value >= 0 && value <= 3_600_000)) return badRequest(res, `${name} must be milliseconds from 0 to 3600000`);
      next[name] = value;
    }
    if (next.runMaxMs < next.runMinMs) return badRequest(res, 'runMaxMs must not be below runMinMs');
    if (body.outputTtlSeconds !== undefined) {
      if (typeof body.outputTtlSeconds !== 'number' || !(body.outputTtlSeconds > 0)) return badRequest(res, 'outputTtlSeconds must be a positive number');
      context.outputTtlSeconds = body.outputTtlSeconds;
    }
    context.timing = next;
    res.json({ ...context.timing, outputTtlSeconds: context.outputTtlSeconds });
  });

  router.post('/reset', (_req: Request, res: Response) => {
    context.reset();
    faults.clear();
    res.json({ reset: true });
  });

  return router;
}
