import express from 'express';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createSandbox, DEFAULT_TIMING, SANDBOX_CREDENTIALS } from './index.js';

/**
 * `npm run sandbox -- --port N [--data-dir DIR] [--queue-ms N --run-min-ms N --run-max-ms N]`:
 * the provider sandbox on its own (the benchmarks run it so, as a provider is a separate service).
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    host: { type: 'string', default: '127.0.0.1' },
    'data-dir': { type: 'string', default: './data/sandbox' },
    'queue-ms': { type: 'string', default: String(DEFAULT_TIMING.queueMs) },
    'run-min-ms': { type: 'string', default: String(DEFAULT_TIMING.runMinMs) },
    'run-max-ms': { type: 'string', default: String(DEFAULT_TIMING.runMaxMs) },
  },
});
const whole = (name: 'port' | 'queue-ms' | 'run-min-ms' | 'run-max-ms', max: number): number => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    console.error(`--${name} must be a whole number from 0 to ${max} (got "${values[name]}")`);
    process.exit(2);
  }
  return value;
};
const port = whole('port', 65535);
const timing = { queueMs: whole('queue-ms', 600_000), runMinMs: whole('run-min-ms', 600_000), runMaxMs: whole('run-max-ms', 600_000) };
if (timing.runMaxMs < timing.runMinMs) {
  console.error('--run-max-ms must not be below --run-min-ms');
  process.exit(2);
}

const sandbox = createSandbox({ dataDir: resolve(values['data-dir']!), timing });
const app = express();
app.disable('x-powered-by');
// As the real services: fal and SMSBao send no ETag, COS sets its objects' own.
app.set('etag', false);
app.use('/sandbox', sandbox.router);
const server = app.listen(port, values.host, () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  const base = `http://${values.host}:${actual}/sandbox`;
  console.log(
    JSON.stringify(
      {
        msg: 'Atelier provider sandbox listening',
        fal: { baseUrl: `${base}/fal`, key: SANDBOX_CREDENTIALS.fal.key },
        smsbao: { baseUrl: `${base}/smsbao`, ...SANDBOX_CREDENTIALS.smsbao },
        midjourney: { trueai: `${base}/mj/trueai`, novicezk: `${base}/mj/novicezk`, ...SANDBOX_CREDENTIALS.midjourney },
        kling: { baseUrl: `${base}/kling`, ...SANDBOX_CREDENTIALS.kling },
        cos: { domain: `${values.host}:${actual}/sandbox/cos/{Bucket}`, protocol: 'http:', ...SANDBOX_CREDENTIALS.cos },
        control: `${base}/_control`,
      },
      null,
      2,
    ),
  );
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    sandbox.close();
    server.close(() => process.exit(0));
  });
}
