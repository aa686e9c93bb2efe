// The submit benchmark's baseline, in its own process like the app: node:http, a JSON body, one
// INSERT through a pg pool of the app's size. Prints "listening <port>" when ready.
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const { prompt } = JSON.parse(Buffer.concat(chunks).toString());
    pool.query('INSERT INTO bench_baseline (prompt) VALUES ($1) RETURNING id, created_at', [prompt]).then(
      ({ rows }) => {
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(rows[0]));
      },
      (error) => {
        res.writeHead(500);
        res.end(String(error));
      },
    );
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
