import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { SandboxContext } from '../context.js';
import { SANDBOX_CREDENTIALS } from '../credentials.js';
import { type FaultRegistry, providerMiddleware } from '../faults.js';

/**
 * smsbao stand-in (../shared/providers/smsbao.md): GET with query parameters, plain-text result
 * codes, HTTP 200 even for errors.
 *
 * Deterministic triggers for the failure codes that depend on the account rather than the
 * request: sending to 1390000004X answers code 4X (41 balance, 42 expired, 43 IP restricted), and
 * content containing "sandbox:sensitive" answers 50.
 */
const INITIAL_BALANCE = 1000;
const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;
const ACCOUNT_TRIGGER = /^1390000004([123])$/;

export function smsbaoRouter(context: SandboxContext, faults: FaultRegistry): Router {
  const router = express.Router();
  let sent = 0;
  context.onReset(() => {
    sent = 0;
  });
  const expectedPassword = createHash('md5').update(SANDBOX_CREDENTIALS.smsbao.password).digest('hex');

  router.use(
    providerMiddleware(context, faults, 'smsbao', (res, status) => {
      res.status(status).type('text/html').send(`<html><body><h1>${status}</h1></body></html>`);
    }),
  );

  const text = (res: Response, body: string) => res.status(200).type('text/plain; charset=utf-8').send(body);
  const param = (req: Request, name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : '');

  /** Checks the account: the result code when it fails, or null. */
  const authenticate = (req: Request): string | null => {
    const username = param(req, 'u');
    const password = param(req, 'p');
    if (username !== SANDBOX_CREDENTIALS.smsbao.username) return '40';
    if (password.toLowerCase() !== expectedPassword) return '30';
    return null;
  };

  router.get('/sms', (req, res) => {
    if (!param(req, 'u') || !param(req, 'p') || !param(req, 'm') || !param(req, 'c')) return text(res, '-1');
    const authError = authenticate(req);
    if (authError) return text(res, authError);
    const phones = param(req, 'm').split(',');
    if (phones.some((phone) => !MAINLAND_MOBILE.test(phone))) return text(res, '51');
    const trigger = phones.map((phone) => ACCOUNT_TRIGGER.exec(phone)).find(Boolean);
    if (trigger) return text(res, `4${trigger[1]}`);
    const content = param(req, 'c');
    if (content.includes('sandbox:sensitive')) return text(res, '50');
    if (sent + phones.length > INITIAL_BALANCE) return text(res, '41');
    const sentAt = new Date().toISOString();
    for (const phone of phones) context.smsOutbox.push({ phone, content, sentAt });
    sent += phones.length;
    return text(res, '0');
  });

  router.get('/query', (req, res) => {
    if (!param(req, 'u') || !param(req, 'p')) return text(res, '-1');
    const authError = authenticate(req);
    if (authError) return text(res, authError);
    return text(res, `0\n${sent},${INITIAL_BALANCE - sent}`);
  });

  return router;
}
