/**
 * vitest global setup: throwaway PostgreSQL and Redis servers on loopback for the tests that need a
 * real server (the PostgreSQL store backend, the BullMQ job queue). Each lives in a temporary folder,
 * listens on a free loopback port and is stopped (and its folder removed) when the run ends.
 *
 * A server whose Debian package is not installed is not started; the tests that need it skip with
 * a printed reason (`describeWithPostgres` / `describeWithRedis` in `./servers.ts`). `.ci/run`
 * installs both packages, so CI runs every such test. Set RETEST_TEST_POSTGRES_URL or
 * RETEST_TEST_REDIS_URL to use a server of your own instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `postgres://…` of a fresh server with an empty database `retest_test`, or '' with `postgresUnavailable` saying why. */
    postgresUrl: string;
    postgresUnavailable: string;
    /** `redis://127.0.0.1:PORT` of a fresh server (AOF on), or '' with `redisUnavailable` saying why. */
    redisUrl: string;
    redisUnavailable: string;
  }
}

const stops: (() => Promise<void>)[] = [];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await startPostgres().catch((error: Error) => ({ url: '', why: `PostgreSQL did not start: ${error.message}` }));
  project.provide('postgresUrl', postgres.url);
  project.provide('postgresUnavailable', postgres.why);
  const redis = await startRedis().catch((error: Error) => ({ url: '', why: `Redis did not start: ${error.message}` }));
  project.provide('redisUrl', redis.url);
  project.provide('redisUnavailable', redis.why);
  return stopStartedServers;
}

interface Started {
  url: string;
  why: string;
}

/** Stops every server this module started (the benchmarks call it; vitest's teardown does the same). */
export async function stopStartedServers(): Promise<void> {
  await Promise.all(stops.splice(0).map((stop) => stop()));
}

/** A throwaway PostgreSQL server (also used by `npm run bench:store`), or why there is none. */
export async function startPostgres(): Promise<Started> {
  if (process.env.RETEST_TEST_POSTGRES_URL) return { url: process.env.RETEST_TEST_POSTGRES_URL, why: '' };
  const bin = postgresBin();
  if (bin === undefined) return { url: '', why: 'PostgreSQL is not installed (apt install postgresql, or set RETEST_TEST_POSTGRES_URL)' };
  const dir = mkdtempSync(join(tmpdir(), 'retest-pg-'));
  const data = join(dir, 'data');
  // initdb and postgres refuse to run as root: run them as the Debian package's `postgres` user.
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'postgres' : (process.env.USER ?? 'postgres');
  if (asRoot) {
    spawnSync('chown', ['postgres:postgres', dir]);
    chmodSync(dir, 0o700);
  }
  const run = (cmd: string, args: string[]) => {
    const full = asRoot ? (['runuser', ['-u', 'postgres', '--', cmd, ...args]] as const) : ([cmd, args] as const);
    return spawnSync(full[0], [...full[1]], { encoding: 'utf8' });
  };
  const init = run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', user, '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr.trim().split('\n').slice(-2).join(' ')}`);
  writeFileSync(join(data, 'postgresql.auto.conf'), 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n');
  const port = await freePort();
  const server = asRoot
    ? spawn('runuser', ['-u', 'postgres', '--', join(bin, 'postgres'), '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'], {
        stdio: 'ignore',
      })
    : spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'], { stdio: 'ignore' });
  stops.push(() => stopProcess(server, dir));
  const ready = join(bin, 'pg_isready');
  for (let i = 0; i < 100; i++) {
    if (spawnSync(ready, ['-h', '127.0.0.1', '-p', String(port)]).status === 0) break;
    await sleep(100);
  }
  const create = run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', user, 'retest_test']);
  if (create.status !== 0) throw new Error(`createdb failed: ${create.stderr.trim()}`);
  return { url: `postgres://${user}@127.0.0.1:${port}/retest_test`, why: '' };
}

async function startRedis(): Promise<Started> {
  if (process.env.RETEST_TEST_REDIS_URL) return { url: process.env.RETEST_TEST_REDIS_URL, why: '' };
  if (!existsSync('/usr/bin/redis-server')) return { url: '', why: 'Redis is not installed (apt install redis-server, or set RETEST_TEST_REDIS_URL)' };
  const dir = mkdtempSync(join(tmpdir(), 'retest-redis-'));
  const port = await freePort();
  const server = spawn(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'],
    { stdio: 'ignore' },
  );
  stops.push(() => stopProcess(server, dir));
  for (let i = 0; i < 100; i++) {
    if (spawnSync('/usr/bin/redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') break;
    await sleep(50);
  }
  return { url: `redis://127.0.0.1:${port}`, why: '' };
}

function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

async function stopProcess(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // SIGINT: PostgreSQL's "fast" shutdown; Redis exits on it too.
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
