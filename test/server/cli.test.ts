/**
 * `retest serve` and `retest labellers` through the real command line (bin/retest.js).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.ts';
import { buildFixture, type Fixture } from './fixture.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');
let fx: Fixture;

beforeAll(async () => {
  fx = await buildFixture({ tasksPerClass: 1, assignmentsWanted: 1, candidates: 4, controls: 1 });
  fx.close(); // the CLI opens the workspace itself
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
}

describe('retest labellers', () => {
  it('invites labellers with personal links and lists them', () => {
    const res = cli(['labellers', 'invite', 'alice', 'bob', '--workspace', fx.workspace.dir, '--url', 'http://127.0.0.1:9999/']);
    expect(res.status).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^alice\thttp:\/\/127\.0\.0\.1:9999\/l\/[A-Za-z0-9_-]{32}$/);
    expect(lines[1]).toMatch(/^bob\thttp:\/\/127\.0\.0\.1:9999\/l\/[A-Za-z0-9_-]{32}$/);
    const list = cli(['labellers', 'list', '--workspace', fx.workspace.dir, '--json']);
    expect(list.status).toBe(0);
    const parsed = JSON.parse(list.stdout) as { labellers: { name: string; revokedAt: string | null }[] };
    expect(parsed.labellers.map((l) => [l.name, l.revokedAt])).toEqual([
      ['alice', null],
      ['bob', null],
    ]);
  });

  it('refuses a bad name with a usage error', () => {
    const res = cli(['labellers', 'invite', '<b>', '--workspace', fx.workspace.dir]);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('labeller name');
  });
});

describe('retest serve', () => {
  it('prints the admin link and token, serves, logs without secrets, and stops on SIGINT', async () => {
    const invite = cli(['labellers', 'invite', 'carol', '--workspace', fx.workspace.dir, '--json']);
    const link = (JSON.parse(invite.stdout) as { labellers: { link: string }[] }).labellers[0]!.link;
    const token = link.split('/l/')[1]!;
    const child = spawn(process.execPath, [BIN, 'serve', '--workspace', fx.workspace.dir, '--port', '0'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      const lines: string[] = [];
      const rl = createInterface({ input: child.stdout });
      await new Promise<void>((res) =>
        rl.on('line', (l) => {
          lines.push(l);
          if (l.startsWith('token:')) res();
        }),
      );
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(lines[0]!)![1]!;
      const adminUrl = /^admin:\s+(\S+)$/.exec(lines[1]!)![1]!;
      const adminToken = /^token:\s+(\S+)$/.exec(lines[2]!)![1]!;
      expect(adminUrl).toBe(`${url}/admin/login?token=${adminToken}`);
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const login = await fetch(adminUrl, { redirect: 'manual' });
      expect(login.status).toBe(303);
      expect((await fetch(`${url}/admin`, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(200);
      expect((await fetch(`${url}/admin`)).status).toBe(401);
      const l = await fetch(`${url}/l/${token}`, { redirect: 'manual' });
      expect(l.status).toBe(303);
      const page = await fetch(`${url}/label`, { headers: { cookie: `retest_labeller=${token}` } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Which of these images contain');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGINT, shutting down');
    // Structured request logs (pino JSON on stderr), tokens redacted.
    const logs = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; req?: { url: string } });
    expect(logs.some((l) => l.msg === 'incoming request' && l.req?.url === '/l/[token]')).toBe(true);
    expect(logs.some((l) => l.req?.url === '/admin/login?token=[token]')).toBe(true);
    expect(stderr).not.toContain(token);
  });

  it('refuses a folder that is not a workspace', () => {
    const res = cli(['serve', '--workspace', join(fx.dir, 'nope'), '--port', '0']);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('not a retest workspace');
  });
});
