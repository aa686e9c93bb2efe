import express, { type Router } from 'express';
import { controlRouter } from './control.js';
import { SandboxContext, type SandboxOptions } from './context.js';
import { cosRouter } from './cos/cos.router.js';
import { falMediaRouter, falRouter } from './fal/fal.router.js';
import { FaultRegistry } from './faults.js';
import { klingRouters } from './kling/kling.router.js';
import { mjRouters } from './mj/mj.router.js';
import { smsbaoRouter } from './smsbao/smsbao.router.js';
import { volcengineRouters } from './volcengine/volcengine.router.js';

export { SANDBOX_CREDENTIALS } from './credentials.js';
export { DEFAULT_TIMING, type SandboxOptions, type SandboxTiming, type SmsMessage } from './context.js';
export type { FaultSettings } from './faults.js';

export interface Sandbox {
  /** Mount under `/sandbox`: every provider lives below it (`/sandbox/fal`, `/sandbox/cos`, ...). */
  router: Router;
  context: SandboxContext;
  faults: FaultRegistry;
  close(): void;
}

/**
 * The provider sandbox: faithful stand-ins for every external service Atelier calls, so the app
 * and its tests exercise the real wire protocols without leaving the machine.
 */
export function createSandbox(options: SandboxOptions): Sandbox {
  const context = new SandboxContext(options);
  const faults = new FaultRegistry();
  const router = express.Router();
  router.use('/_control', controlRouter(context, faults));
  router.use('/fal-media', falMediaRouter(context));
  router.use('/fal', falRouter(context, faults));
  router.use('/smsbao', smsbaoRouter(context, faults));
  router.use('/cos', cosRouter(context, faults));
  const mj = mjRouters(context, faults);
  router.use('/mj-cdn', mj.cdn);
  router.use('/mj', mj.api);
  const kling = klingRouters(context, faults);
  router.use('/kling-cdn', kling.cdn);
  router.use('/kling', kling.api);
  const volcengine = volcengineRouters(context, faults);
  router.use('/volcengine-cdn', volcengine.cdn);
  router.use('/volcengine', volcengine.api);
  return { router, context, faults, close: () => context.close() };
}
