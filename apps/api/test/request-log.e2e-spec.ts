import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { pinoHttp } from 'pino-http';
import request from 'supertest';
import { requestLogOptions } from '../src/common/request-log.js';

/** The request log as the app configures it, written to memory. */
function loggedRequests() {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const log = pinoHttp(requestLogOptions({ logLevel: 'info' }), stream);
  const server = createServer((req, res) => {
    log(req, res);
    res.end('ok');
  });
  return { lines, http: request(server) };
}

describe('request log', () => {
  it('never writes the tokens of webhook and event-stream URLs in clear', async () => {
    const { lines, http } = loggedRequests();
    await http.get('/api/v1/tasks/events?token=user.123.SECRET-SIGNATURE&since=42').expect(200);
    await http.post('/api/v1/webhooks/flux/0b8d?TOKEN=SECRET-HMAC').expect(200);
    await http.get('/api/v1/history?source=flux').set('Authorization', 'Bearer SECRET-JWT').expect(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(3);
    expect(lines[0].req.url).toBe('/api/v1/tasks/events?token=[Redacted]&since=42');
    expect(lines[1].req.url).toBe('/api/v1/webhooks/flux/0b8d?TOKEN=[Redacted]');
    expect(lines[2].req.url).toBe('/api/v1/history?source=flux');
    expect(JSON.stringify(lines)).not.toMatch(/SECRET/);
  });
});
