// Builds whatever is missing or stale: the API (incremental tsc) and the web app (Vite, only when
// its sources changed). `--force` rebuilds everything.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

const tsc = join(root, 'node_modules/typescript/bin/tsc');
run(process.execPath, [tsc, '-b', 'tsconfig.build.json', ...(force ? ['--force'] : [])]);

const web = join(root, 'apps/web');
const builtIndex = join(web, 'dist/index.html');
const webSources = ['src', 'public', 'index.html', 'vite.config.ts', 'svelte.config.js', 'package.json']
  .map((p) => join(web, p))
  .concat(join(root, 'libs/api-client/src'));
const stale = !existsSync(builtIndex) || Math.max(...webSources.map(newestMtime)) > statSync(builtIndex).mtimeMs;
if (force || stale) {
  if (!quiet) console.log('building the web app…');
    const result = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: web,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
