import express from 'express';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createSandbox, SANDBOX_CREDENTIALS } from './index.js';

/** `npm run sandbox -- --port N [--data-dir DIR]`: the provider sandbox on its own. */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    host: { type: 'string', default: '127.0.0.1' },
    'data-dir': { type: 'string', default: './data/sandbox' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number (got "${values.port}")`);
  process.exit(2);
}

const sandbox = createSandbox({ dataDir: resolve(values['data-dir']!) });
const app = express();
app.disable('x-powered-by');
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
