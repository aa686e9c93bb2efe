import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../config/app-config.js';

/**
 * The guards act on the real process, which a test inside jest cannot own (jest gives each test file
 * a copy of `process`): a child node process runs them, from the build that `npm test` makes first.
 */
const built = join(repoRoot, 'apps/api/dist/apps/api/src/common/process-guard.js');

const script = `
import http from 'node:http';
import { EventEmitter } from 'node:events';
const { contain, installProcessGuards } = await import(${JSON.stringify(pathToFileURL(built).href)});
installProcessGuards();
const server = http.createServer((req, res) => {
  // A request whose work throws later from a callback, past every try/catch.
  contain((error) => { res.statusCode = 500; res.end('answered: ' + error.message); }, () => {
    if (req.url === '/throws') setTimeout(() => { throw new Error('thrown from a timer callback'); }, 1);
    else res.end('still up');
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = 'http://127.0.0.1:' + server.address().port;
const first = await fetch(base + '/throws');
const results = { first: [first.status, await first.text()] };
// Nobody contained these: logged, and the process goes on.
const emitter = new EventEmitter();
emitter.on('event', () => { throw new Error('thrown from an event listener'); });
setTimeout(() => emitter.emit('event'), 1);
void Promise.reject(new Error('a rejection nobody handled'));
await new Promise((resolve) => setTimeout(resolve, 50));
const second = await fetch(base + '/');
results.second = [second.status, await second.text()];
console.log(JSON.stringify(results));
server.close();
`;

describe('process guards', () => {
  it('log uncaught exceptions and unhandled rejections with their stack, answer the contained request, and keep the process running', () => {
    expect(existsSync(built)).toBe(true);
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(child.status).toBe(0);
    const lines = child.stdout.trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1])).toEqual({ first: [500, 'answered: thrown from a timer callback'], second: [200, 'still up'] });
    const logged = child.stdout + child.stderr;
    expect(logged).toMatch(/ERROR.*Uncaught exception \(answered by the work it came from\); the process keeps running: Error: thrown from a timer callback\n\s+at /);
    expect(logged).toMatch(/ERROR.*Uncaught exception; the process keeps running: Error: thrown from an event listener\n\s+at /);
    expect(logged).toMatch(/ERROR.*Unhandled promise rejection; the process keeps running: Error: a rejection nobody handled\n\s+at /);
  });
});
