import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ProviderName, SandboxContext } from './context.js';

/** Per-provider fault injection, set through the control API. Rates are probabilities 0..1. */
export interface FaultSettings {
  http500: number;
  http429: number;
  reset: number;
  timeout: number;
  malformedJson: number;
  /**
   * Answers 200 `text/plain` `ok` instead of the service's own answer, as a CDN, captive portal
   * or proxy in front of the service may (for COS: a 2xx write whose body is not XML).
   */
  plainText: number;
  latencyMs: number;
}

export const NO_FAULTS: FaultSettings = { http500: 0, http429: 0, reset: 0, timeout: 0, malformedJson: 0, plainText: 0, latencyMs: 0 };

/** How a provider answers an injected error status, in its own wire format. */
export type ErrorResponder = (res: Response, status: 429 | 500) => void;

export class FaultRegistry {
  private readonly settings = new Map<ProviderName, FaultSettings>();

  get(provider: ProviderName): FaultSettings {
    return this.settings.get(provider) ?? NO_FAULTS;
  }

  set(provider: ProviderName, settings: Partial<FaultSettings>): FaultSettings {
    const next = { ...NO_FAULTS, ...settings };
    this.settings.set(provider, next);
    return next;
  }

  all(): Record<string, FaultSettings> {
    return Object.fromEntries(this.settings);
  }

  clear(): void {
    this.settings.clear();
  }
}

/** A hung request is dropped after this long, so test runs and servers do not leak sockets. */
const TIMEOUT_HOLD_MS = 120_000;

/**
 * Records every request of a provider and applies its configured faults before the real handler.
 * `malformedJson` lets the handler run and then corrupts its JSON body.
 */
export function providerMiddleware(
  context: SandboxContext,
  faults: FaultRegistry,
  provider: ProviderName,
  respondError: ErrorResponder,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    context.record(provider, req.method, req.originalUrl);
    const settings = faults.get(provider);
    const proceed = () => {
      let roll = Math.random();
      const hit = (rate: number) => {
        if (roll < rate) return true;
        roll -= rate;
        return false;
      };
      if (hit(settings.reset)) {
        req.socket.destroy();
        return;
      }
      if (hit(settings.timeout)) {
        const timer = setTimeout(() => req.socket.destroy(), TIMEOUT_HOLD_MS);
        timer.unref?.();
        req.socket.once('close', () => clearTimeout(timer));
        return;
      }
      if (hit(settings.http500)) return respondError(res, 500);
      if (hit(settings.http429)) return respondError(res, 429);
      if (hit(settings.plainText)) return void res.status(200).setHeader('Content-Type', 'text/plain; charset=utf-8').end('ok');
      if (hit(settings.malformedJson)) {
        const send = res.send.bind(res);
        res.json = (body: unknown) => {
          res.type('application/json');
          return send(JSON.stringify(body).slice(0, 12) + '<!-- truncated');
        };
      }
      next();
    };
    if (settings.latencyMs > 0) setTimeout(proceed, settings.latencyMs).unref?.();
    else proceed();
  };
}
