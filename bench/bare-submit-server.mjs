// The submit benchmark's honest baseline, in its own process like the app: a bare node:http
// server doing the work a submission must do and nothing else. Per request: read the JSON body,
// then one statement (one transaction, one round trip) that decrements the balance (never below
// zero), writes the ledger row and inserts the task, then one POST over a kept-alive connection to
// the fal queue (the sandbox), answering 201 with the task id and fal's request id.
// Env: DATABASE_URL, PORT, USER_ID (an account with credits), FAL_URL (the fal queue base URL), FAL_KEY.
// Prints "listening <port>" when ready.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const fal = new URL(`${process.env.FAL_URL.replace(/\/+$/, '')}/fal-ai/flux-1/schnell`);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const userId = process.env.USER_ID;
const PRICE = 1;

const SUBMIT = `
  WITH charge AS (
    UPDATE credit_accounts SET balance = balance - $3::integer, updated_at = now()
     WHERE user_id = $2::uuid AND balance >= $3::integer
     RETURNING balance),
  charge_entry AS (
    INSERT INTO credit_ledger (user_id, delta, balance_after, kind, task_id, reason)
    SELECT $2::uuid, -$3::integer, charge.balance, 'charge'::credit_entry_kind, $1::uuid, 'bench baseline' FROM charge)
  INSERT INTO generation_tasks (id, user_id, provider, model, kind, action, prompt, input, cost, deadline_at, next_poll_at)
  SELECT $1::uuid, $2::uuid, 'bench-baseline', 'fal-ai/flux-1/schnell', 'image'::media_kind, 'text-to-image', $4, $5::jsonb, $3::integer,
         now() + interval '15 minutes', now()
    FROM charge
  RETURNING id`;

function postToFal(input) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(input));
    const request = http.request(
      fal,
      { method: 'POST', agent, headers: { Authorization: `Key ${process.env.FAL_KEY}`, 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': payload.length } },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (response.statusCode !== 200) return reject(new Error(`fal: HTTP ${response.statusCode} ${text}`));
          resolve(JSON.parse(text));
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      const { prompt } = JSON.parse(Buffer.concat(chunks).toString());
      const input = { prompt, image_size: 'square', num_images: 1 };
      const id = randomUUID();
      const { rows } = await pool.query(SUBMIT, [id, userId, PRICE, prompt, JSON.stringify(input)]);
      if (rows.length === 0) {
        res.writeHead(402, { 'Content-Type': 'application/json' });
        return res.end('{"message":"Not enough credits"}');
      }
      const queued = await postToFal(input);
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ id, requestId: queued.request_id }));
    } catch (error) {
      res.writeHead(500);
      res.end(String(error));
    }
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
