/**
 * Crash safety of `retest serve` (a child process running the real CLI): simulated labellers
 * submit while the server is killed with SIGKILL; after a restart every acknowledged answer is in
 * the database exactly as sent, and none is stored twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildLoadWorkspace, checkAnswers, emptyLoadResult, runLabellers, spawnServer, type ServerProcess } from '../../bench/label-harness.ts';

const children: ServerProcess[] = [];
afterAll(() => {
  for (const s of children) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
});

describe('crash safety', () => {
  it('keeps every acknowledged answer, once, across a SIGKILL during load', async () => {
    const { dir, tokens } = await buildLoadWorkspace({ tasks: 400, assignmentsWanted: 3, labellers: 12 });
    const first = await spawnServer(dir);
    children.push(first);
    let url = first.url;
    let killed = false;
    const live = emptyLoadResult();
    const phase1 = runLabellers(
      () => url,
      tokens,
      () => killed,
      7,
      live,
    );
    // Kill mid-load, once some answers were acknowledged (and others are in flight).
    const started = Date.now();
    while (live.acks.length < 20 && Date.now() - started < 90_000) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    killed = true;
    const before = await phase1;
    expect(before.acks.length).toBeGreaterThanOrEqual(20);
    // Every submission acknowledged before the kill is on disk.
    const afterKill = await checkAnswers(dir, before.acks, before.duplicateAcks);
    expect(afterKill.lost).toBe(0);
    expect(afterKill.duplicated).toBe(0);

    // Restart on the same workspace; the same labellers (same cookies) carry on.
    const second = await spawnServer(dir);
    children.push(second);
    url = second.url;
    const until = Date.now() + 2500;
    const after = await runLabellers(url, tokens, () => Date.now() >= until, 8);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe('0');
    expect(after.acks.length).toBeGreaterThan(0);
    const all = await checkAnswers(dir, [...before.acks, ...after.acks], before.duplicateAcks + after.duplicateAcks);
    expect(all).toMatchObject({ lost: 0, duplicated: 0, ackedTwice: 0, overfull: 0, workerTwice: 0 });
    expect(all.perTask.max).toBeLessThanOrEqual(3); // N = 3: no task over N
    expect(all.stored).toBeGreaterThanOrEqual(before.acks.length + after.acks.length);
  }, 180_000);
});
