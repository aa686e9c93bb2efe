// `npm run dev`: the API rebuilt and restarted on change, plus Vite's dev server with hot reload
// proxying /api to it. Open the URL Vite prints (http://localhost:5173).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const apiPort = process.env.PORT ?? '3000';
const children = [];

function start(name, args, options = {}) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', ...options });
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) console.error(`[dev] ${name} exited with ${code}`);
  });
  children.push(child);
}

const tsc = join(root, 'node_modules/typescript/bin/tsc');
const initial = spawn(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
initial.on('exit', (code) => {
  if (code !== 0) process.exit(code ?? 1);
  start('tsc', [tsc, '-b', 'tsconfig.build.json', '--watch', '--preserveWatchOutput']);
  start('api', ['--watch-path=apps/api/dist', 'apps/api/dist/apps/api/src/main.js'], {
    env: { ...process.env, PORT: apiPort, NODE_ENV: process.env.NODE_ENV ?? 'development' },
  });
  start('web', [join(root, 'node_modules/vite/bin/vite.js')], { cwd: join(root, 'apps/web'), env: { ...process.env, API_PORT: apiPort } });
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
    process.exit(0);
  });
}
