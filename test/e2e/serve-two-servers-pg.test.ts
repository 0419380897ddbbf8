/**
 * Two `retest serve` processes (the real CLI, child processes on loopback) on one PostgreSQL
 * workspace: labellers spread over both claim and submit under load (10% of submissions sent
 * twice), one server is SIGKILLed mid-load, most of its labellers move to the survivor (their open
 * claims resume there), a few never come back (their claims lapse after `--ttl` and return to the
 * pool), and the load runs until every task has its N answers. Then the database, through SQL:
 * every acknowledged answer stored exactly as sent, none acknowledged twice, no task over N, no
 * worker answering a task twice, and exactly tasks × N answers.
 */
import { afterAll, expect, it } from 'vitest';
import { checkAnswers, emptyLoadResult, runLabellers, spawnServer, type ServerProcess } from '../../bench/label-harness.ts';
import { buildPgLoadWorkspace, dropPgSchema, type PgLoadWorkspace } from '../helpers/pg-load.ts';
import { describeWithPostgres, postgresUrl } from '../helpers/servers.ts';

const TASKS = 100;
const N = 5;
const LABELLERS = 200;
/** A's labellers that never come back after the kill. */
const ABANDON = 10;
/** Seconds a claim lasts (`retest serve --ttl`). */
const TTL = 4;

const children: ServerProcess[] = [];
let workspace: PgLoadWorkspace | undefined;
afterAll(async () => {
  for (const s of children) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  if (workspace) await dropPgSchema(postgresUrl(), workspace.schema);
});

describeWithPostgres('two servers on one PostgreSQL workspace', () => {
  it('lose and double no answer when one is killed under load', async () => {
    workspace = await buildPgLoadWorkspace(postgresUrl(), { tasks: TASKS, assignmentsWanted: N, labellers: LABELLERS });
    const { tokens } = workspace;
    // Both start at once: migrations, secrets and the admin token hash are written concurrently.
    const [a, b] = await Promise.all([spawnServer(workspace.dir, ['--ttl', String(TTL)]), spawnServer(workspace.dir, ['--ttl', String(TTL)])]);
    children.push(a, b);
    const half = LABELLERS / 2;
    let killed = false;
    const deadline = Date.now() + 150_000;
    const stop = () => Date.now() > deadline;
    const onA = emptyLoadResult();
    const onB = emptyLoadResult();
    const runA = runLabellers(() => (killed ? b.url : a.url), tokens.slice(ABANDON, half), stop, 3, onA);
    const runB = runLabellers(b.url, tokens.slice(half), stop, 4, onB);

    // Kill A once both servers acknowledged answers, while the others are in flight; just before,
    // the labellers who will not come back each claim a task on A.
    while ((onA.acks.length < 40 || onB.acks.length < 20) && !stop()) await new Promise((r) => setTimeout(r, 10));
    const abandoned = await Promise.all(
      tokens.slice(0, ABANDON).map(async (token) => {
        for (;;) {
          const page = await fetch(`${a.url}/label`, { headers: { cookie: `retest_labeller=${token}`, accept: 'application/json' } });
          const body = (await page.json()) as { assignment?: string | null };
          if (page.status !== 503) return `${page.status} ${typeof body.assignment}`; // 503: the queue is full, try again
          await new Promise((r) => setTimeout(r, 200));
        }
      }),
    );
    expect(abandoned).toEqual(Array(ABANDON).fill('200 string'));
    a.child.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');
    const ackedBeforeKill = onA.acks.length + onB.acks.length;
    const ackedByABeforeKill = onA.acks.length;
    killed = true;
    const [fromA, fromB] = await Promise.all([runA, runB]);
    // The abandoned claims still count as live until they lapse; then their tasks return to the pool.
    await new Promise((r) => setTimeout(r, (TTL + 1) * 1000));
    const late = await runLabellers(b.url, tokens.slice(ABANDON), stop, 6);
    expect(stop()).toBe(false); // every labeller ran out of tasks: the load finished, not the clock

    const runs = [fromA, fromB, late];
    const acks = runs.flatMap((r) => r.acks);
    expect(ackedByABeforeKill).toBeGreaterThanOrEqual(40);
    expect(acks.length).toBeGreaterThan(ackedBeforeKill); // answers acknowledged after the kill…
    expect(fromA.acks.length).toBeGreaterThan(ackedByABeforeKill); // …among them by A's labellers, on the survivor
    expect(runs.reduce((n, r) => n + r.retries, 0)).toBeGreaterThan(0);
    const check = await checkAnswers(
      workspace.dir,
      acks,
      runs.reduce((n, r) => n + r.duplicateAcks, 0),
    );
    expect(check).toEqual({
      lost: 0,
      duplicated: 0,
      ackedTwice: 0,
      overfull: 0,
      workerTwice: 0,
      stored: TASKS * N,
      perTask: { min: N, max: N },
      tasks: TASKS,
      expired: check.expired,
    });
    // Every stored answer was acknowledged, but for those whose response the kill cut off.
    expect(acks.length).toBeLessThanOrEqual(TASKS * N);
    expect(acks.length).toBeGreaterThanOrEqual(TASKS * N - half);
    // The abandoned labellers' open claims lapsed and were answered by others (every task has N),
    // during the load or in the late round.
    expect(check.expired).toBeGreaterThanOrEqual(ABANDON);

    // The survivor's dashboard (the same admin token on both: RETEST_ADMIN_TOKEN) counts every answer.
    const summary = await fetch(`${b.url}/admin/api/summary`, { headers: { authorization: 'Bearer bench-admin-token' } });
    expect(summary.status).toBe(200);
    const tables = (await summary.json()) as { classes: { done: number; open: number }[] };
    expect([tables.classes.reduce((n, c) => n + c.done, 0), tables.classes.reduce((n, c) => n + c.open, 0)]).toEqual([TASKS * N, 0]);

    b.child.kill('SIGTERM');
    expect(await b.exited).toBe('0');
  }, 240_000);
});
