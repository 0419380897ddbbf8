/**
 * `npm run bench:label [-- --duration 60 --labellers 200 --json]`: 200 simulated labellers for 60 s
 * against `retest serve` (a child process on 127.0.0.1), each claiming a task (the HTML page),
 * picking images and submitting the form; 10% of submissions are retried. Prints submits/s,
 * p50/p99 submit latency, and the lost and duplicated answers found by comparing every
 * acknowledged answer with the database afterwards (both must be 0).
 * Baseline in the same run: the same submissions made in-process (the LabelStore's claim + submit, no HTTP).
 *
 * `npm run bench:label -- --open [--rates 50,150] [--step 20] [--think 2,6] [--json]`: the open loop.
 * Sessions (page → think → submit) arrive at a fixed offered rate whatever the server does, one
 * step per rate, then a ramp (×1.5 per step) until the server no longer keeps up: p50/p99/max submit
 * latency per rate, the saturation rate, and how much longer the slowest request waited than the
 * median (fair queueing keeps it within 10×). `--connections per-labeller` (default): each labeller
 * has its own keep-alive connection, kept across steps and opened before the step that needs it,
 * as a browser keeps its connection between tasks; `--connections shared`: one pool for all
 * labellers, connections opened on demand (the model of the runs before 2026-12-02 evening).
 */
import { parseArgs } from 'node:util';
import { createLabelStore } from '../src/label/index.ts';
import { closeWorkspace } from '../src/workspace/index.ts';
import { connectWorkspace } from '../src/app/workspace-stores.ts';
import {
  Browsers,
  buildLoadWorkspace,
  checkAnswers,
  quantile,
  runLabellers,
  runOpenLoop,
  spawnServer,
  type OpenLoopResult,
  type RequestTimes,
} from './label-harness.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    labellers: { type: 'string' },
    tasks: { type: 'string' },
    assignments: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
    open: { type: 'boolean', default: false },
    rates: { type: 'string', default: '50,150' },
    step: { type: 'string', default: '20' },
    think: { type: 'string', default: '2,6' },
    'max-rate': { type: 'string', default: '2000' },
    connections: { type: 'string', default: 'per-labeller' },
  },
});
if (values.open) {
  await openLoop();
  process.exit(process.exitCode ?? 0);
}
const duration = Number(values.duration);
const labellers = Number(values.labellers ?? 200);
const wanted = Number(values.assignments);
if (!(duration > 0) || !Number.isInteger(labellers) || labellers < 1 || !Number.isInteger(wanted) || wanted < 1) {
  process.stderr.write('usage: bench/label.ts [--duration S] [--labellers N] [--tasks T] [--assignments N] [--json]\n');
  process.exit(2);
}
// Enough tasks that labellers never run out at ~1000 submits/s.
const tasks = values.tasks ? Number(values.tasks) : Math.ceil((Math.max(duration, 5) * 1000) / wanted);
const log = (s: string) => {
  if (!values.json) process.stderr.write(`${s}\n`);
};

log(`building a workspace: ${tasks} tasks × 48 images, N = ${wanted}, ${labellers} labellers…`);
const { dir, tokens } = await buildLoadWorkspace({ tasks, assignmentsWanted: wanted, labellers });

const server = await spawnServer(dir);
log(`server at ${server.url}; ${labellers} labellers for ${duration} s…`);
const started = performance.now();
const deadline = started + duration * 1000;
const load = await runLabellers(server.url, tokens, () => performance.now() >= deadline);
const elapsed = (performance.now() - started) / 1000;
server.child.kill('SIGTERM');
await server.exited;
const check = await checkAnswers(dir, load.acks, load.duplicateAcks);

// Baseline (after the check, on the same workspace): the label store's own claim + submit, as the
// server runs them (async LabelStore on the port), in-process, no HTTP, one transaction each and
// each made durable (sql.sync()) before the next, for 3 s.
const baseline = await (async () => {
  const ws = await connectWorkspace(dir);
  try {
    const label = createLabelStore(ws.sql);
    let n = 0;
    const until = performance.now() + 3000;
    const pseudo = Array.from({ length: 50 }, (_, i) => `baseline-worker-${i}`);
    while (performance.now() < until) {
      const workerHash = pseudo[n % pseudo.length]!;
      const claim = await label.claim({ workerHash, now: new Date(), ttlSeconds: 600 });
      await ws.sql.sync();
      if (!claim) break;
      await label.submit({ assignmentId: claim.assignmentId, workerHash, selectedTokens: claim.items.slice(0, 10).map((i) => i.token), now: new Date() });
      await ws.sql.sync();
      n++;
    }
    return n / 3;
  } finally {
    await closeWorkspace(ws);
  }
})();
log(`baseline (in-process claim + submit, no HTTP): ${baseline.toFixed(0)} submits/s`);

const out = {
  submits_per_s: Math.round((load.acks.length / elapsed) * 10) / 10,
  p50_ms: Math.round(quantile(load.latencies, 0.5) * 10) / 10,
  p99_ms: Math.round(quantile(load.latencies, 0.99) * 10) / 10,
  lost: check.lost,
  duplicated: check.duplicated,
  acknowledged: load.acks.length,
  stored: check.stored,
  retries: load.retries,
  errors: load.errors,
  shed: load.shed,
  page_p50_ms: Math.round(quantile(load.pageLatencies, 0.5) * 10) / 10,
  page_p99_ms: Math.round(quantile(load.pageLatencies, 0.99) * 10) / 10,
  labellers,
  duration_s: Math.round(elapsed * 10) / 10,
  baseline_in_process_submits_per_s: Math.round(baseline),
  ratio_to_baseline: Math.round((load.acks.length / elapsed / baseline) * 100) / 100,
  labellers_out_of_tasks: load.exhausted,
};
if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
else {
  process.stdout.write(
    `submits/s        ${out.submits_per_s}  (${out.ratio_to_baseline}× the in-process baseline of ${out.baseline_in_process_submits_per_s}/s)\n`,
  );
  process.stdout.write(`submit latency   p50 ${out.p50_ms} ms, p99 ${out.p99_ms} ms   (task page p50 ${out.page_p50_ms} ms, p99 ${out.page_p99_ms} ms)\n`);
  process.stdout.write(`answers          ${out.acknowledged} acknowledged, ${out.stored} stored, ${out.retries} retried\n`);
  process.stdout.write(`lost             ${out.lost}\nduplicated       ${out.duplicated}\n`);
  if (out.errors) process.stdout.write(`errors           ${out.errors}\n`);
  if (out.labellers_out_of_tasks) process.stdout.write(`note: ${out.labellers_out_of_tasks} labellers ran out of tasks (raise --tasks)\n`);
}
process.exitCode = out.lost === 0 && out.duplicated === 0 ? 0 : 1;

/** The open-loop mode: fixed offered rates, then a ramp to saturation. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a benchmark's main: one linear sequence of measured steps
async function openLoop(): Promise<void> {
  const rates = values.rates.split(',').map(Number);
  const step = Number(values.step);
  const think = values.think.split(',').map(Number) as [number, number];
  const maxRate = Number(values['max-rate']);
  const wanted = Number(values.assignments);
  const perLabeller = values.connections === 'per-labeller';
  if (
    rates.some((r) => !(r > 0)) ||
    !(step > 0) ||
    think.length !== 2 ||
    !(think[0] >= 0 && think[1] >= think[0]) ||
    !(maxRate > 0) ||
    !['per-labeller', 'shared'].includes(values.connections)
  ) {
    process.stderr.write(
      'usage: bench/label.ts --open [--rates 50,150] [--step S] [--think MIN,MAX] [--max-rate R] [--connections per-labeller|shared] [--json]\n',
    );
    process.exit(2);
  }
  const log = (line: string) => {
    if (!values.json) process.stderr.write(`${line}\n`);
  };
  // Enough labellers that sessions never wait for one (rate × (think + slack)), enough tasks for every step.
  const ramp: number[] = [];
  for (let r = Math.max(...rates) * 1.5; r <= maxRate; r *= 1.5) ramp.push(Math.round(r));
  const labellers = Number(values.labellers ?? Math.ceil(maxRate * (think[1] + 4) * 1.2));
  const tasks = Number(values.tasks ?? Math.ceil(([...rates, ...ramp].reduce((a, b) => a + b, 0) * step * 1.3) / wanted));
  log(`building a workspace: ${tasks} tasks × 48 images, N = ${wanted}, ${labellers} labellers…`);
  const { dir, tokens } = await buildLoadWorkspace({ tasks, assignmentsWanted: wanted, labellers });
  let server = await spawnServer(dir);
  // Per labeller: one browser each, kept for the server's lifetime (a new server: new browsers).
  let browsers = perLabeller ? new Browsers() : undefined;
  const steps: ReturnType<typeof summary>[] = [];
  const all: OpenLoopResult[] = [];
  const summary = (r: OpenLoopResult) => {
    const p50 = quantile(r.latencies, 0.5);
    const max = r.latencies.length ? Math.max(...r.latencies) : Number.NaN;
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      offered_per_s: r.offered,
      achieved_per_s: round(r.achieved),
      p50_ms: round(p50),
      p99_ms: round(quantile(r.latencies, 0.99)),
      max_ms: round(max),
      max_over_median: round(max / p50),
      page_p50_ms: round(quantile(r.pageLatencies, 0.5)),
      page_p99_ms: round(quantile(r.pageLatencies, 0.99)),
      page_max_ms: round(r.pageLatencies.length ? Math.max(...r.pageLatencies) : Number.NaN),
      page_p99_over_median: round(quantile(r.pageLatencies, 0.99) / quantile(r.pageLatencies, 0.5)),
      p99_over_median: round(quantile(r.latencies, 0.99) / p50),
      submit_times: split(r.submits),
      page_times: split(r.pages),
      refused_max_ms: round(r.refused.fromDue.length ? Math.max(...r.refused.fromDue) : Number.NaN),
      generator_delay_p99_ms: round(r.generatorDelay.p99),
      generator_delay_max_ms: round(r.generatorDelay.max),
      sessions: r.sessions,
      acknowledged: r.acks.length,
      shed: r.shed,
      errors: r.errors,
      no_labeller: r.noLabeller,
    };
  };
  // Where the time went (bench/label-harness.ts RequestTimes): the generator's lateness, and the
  // server's own time from its Server-Timing header, whose max/median is the fair queue's to answer for.
  const split = (t: RequestTimes) => {
    const round = (x: number) => Math.round(x * 10) / 10;
    const serverP50 = quantile(t.inServer, 0.5);
    const serverMax = t.inServer.length ? Math.max(...t.inServer) : Number.NaN;
    return {
      sent_late_p99_ms: round(quantile(t.sendLag, 0.99)),
      from_send_p50_ms: round(quantile(t.fromSend, 0.5)),
      from_send_max_ms: round(t.fromSend.length ? Math.max(...t.fromSend) : Number.NaN),
      server_p50_ms: round(serverP50),
      server_p99_ms: round(quantile(t.inServer, 0.99)),
      server_max_ms: round(serverMax),
      server_max_over_median: round(serverMax / serverP50),
      queue_p50_ms: round(quantile(t.inQueue, 0.5)),
      queue_max_ms: round(t.inQueue.length ? Math.max(...t.inQueue) : Number.NaN),
      new_connections: t.fromSendNewConnection.length,
      new_connection_from_send_max_ms: round(t.fromSendNewConnection.length ? Math.max(...t.fromSendNewConnection) : Number.NaN),
    };
  };
  let seed = 1;
  const runStep = async (rate: number, kind: string, record = true, into = all, who = tokens) => {
    log(`${kind} ${rate}/s for ${step} s (think ${think[0]}–${think[1]} s)…`);
    if (browsers) {
      // The labellers this step keeps busy (rate × the longest session, with slack) are on the site already.
      const opened = await browsers.connect(server.url, who, Math.ceil(rate * (think[1] + 2) * 1.2));
      if (opened > 0) log(`  ${opened} labellers connected before the step`);
    }
    const r = await runOpenLoop(server.url, who, { rate, seconds: step, think, seed: seed++, ...(browsers ? { browsers } : {}) });
    into.push(r);
    const s = summary(r);
    if (record) steps.push(s);
    log(
      `  achieved ${s.achieved_per_s}/s  submit p50 ${s.p50_ms} ms  p99 ${s.p99_ms} ms  max ${s.max_ms} ms (${s.max_over_median}× median)  page p99 ${s.page_p99_ms} ms  shed ${s.shed}  errors ${s.errors}`,
    );
    log(
      `  in the server: submit p50 ${s.submit_times.server_p50_ms} ms  max ${s.submit_times.server_max_ms} ms (${s.submit_times.server_max_over_median}×)  page p50 ${s.page_times.server_p50_ms} ms  max ${s.page_times.server_max_ms} ms (${s.page_times.server_max_over_median}×)  queue max ${s.submit_times.queue_max_ms}/${s.page_times.queue_max_ms} ms  refused ${s.shed} (slowest ${s.refused_max_ms} ms)  generator: sent late p99 ${s.submit_times.sent_late_p99_ms}/${s.page_times.sent_late_p99_ms} ms, event-loop delay p99 ${s.generator_delay_p99_ms} max ${s.generator_delay_max_ms} ms`,
    );
    return s;
  };
  // Keeping up: nearly every session answered, and both the page and the submit p99 within a second.
  const keepsUp = (s: ReturnType<typeof summary>) => s.acknowledged >= 0.95 * s.sessions && s.p99_ms <= 1000 && s.page_p99_ms <= 1000;
  // Warm-up (JIT, statement caches, page cache), not recorded.
  await runStep(rates[0]!, 'warm-up', false);
  for (const rate of rates) await runStep(rate, 'rate');
  let saturated: ReturnType<typeof summary> | null = null;
  for (const rate of ramp) {
    const s = await runStep(rate, 'ramp');
    if (!keepsUp(s)) {
      saturated = s;
      break;
    }
  }
  // Past saturation: half as much again as the server handles. The fair queue should keep the
  // served requests' waits bounded and refuse the rest promptly (503) instead of letting them pile up.
  const overload = saturated ? await runStep(Math.round(saturated.offered_per_s * 1.5), 'overload', false) : null;
  server.child.kill('SIGTERM');
  await server.exited;
  const acks = all.flatMap((r) => r.acks);
  const check = await checkAnswers(
    dir,
    acks,
    all.reduce((n, r) => n + r.duplicateAcks, 0),
  );
  // Baseline in the same run: the saturated rate again, on a fresh copy with fair queueing off
  // (every request worked on at once, nothing refused).
  let baseline: ReturnType<typeof summary> | null = null;
  let baselineCheck: Awaited<ReturnType<typeof checkAnswers>> | null = null;
  if (saturated) {
    const fresh = await buildLoadWorkspace({
      tasks: Math.ceil(((rates[0]! + saturated.offered_per_s) * step * 1.3) / wanted),
      assignmentsWanted: wanted,
      labellers,
    });
    browsers?.destroy();
    browsers = perLabeller ? new Browsers() : undefined;
    server = await spawnServer(fresh.dir, ['--concurrency', '0']);
    const runs: OpenLoopResult[] = [];
    await runStep(rates[0]!, 'baseline warm-up (fair queueing off)', false, runs, fresh.tokens);
    baseline = await runStep(saturated.offered_per_s, 'baseline: the saturated rate with fair queueing off', false, runs, fresh.tokens);
    server.child.kill('SIGTERM');
    await server.exited;
    baselineCheck = await checkAnswers(
      fresh.dir,
      runs.flatMap((r) => r.acks),
      runs.reduce((n, r) => n + r.duplicateAcks, 0),
    );
  }
  browsers?.destroy();
  const sustained = steps.filter(keepsUp);
  const out = {
    mode: 'open-loop',
    connections: values.connections,
    think_s: think,
    step_s: step,
    steps,
    saturation_per_s: saturated ? Math.max(...steps.map((s) => s.achieved_per_s)) : null,
    highest_sustained_offered_per_s: sustained.length ? Math.max(...sustained.map((s) => s.offered_per_s)) : null,
    saturated_step: saturated,
    overload_step: overload,
    baseline_without_fair_queueing: baseline && baselineCheck ? { ...baseline, lost: baselineCheck.lost, duplicated: baselineCheck.duplicated } : null,
    lost: check.lost,
    duplicated: check.duplicated,
    acknowledged: acks.length,
    stored: check.stored,
    labellers,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else {
    const line = (label: string, s: ReturnType<typeof summary>) =>
      `${label.padEnd(9)}  ${String(s.offered_per_s).padStart(9)}  ${String(s.achieved_per_s).padStart(10)}  ${String(s.p50_ms).padStart(6)}  ${String(s.p99_ms).padStart(7)}  ${String(s.max_ms).padStart(7)}  ${String(s.max_over_median).padStart(10)}  ${String(s.page_p99_ms).padStart(11)}  ${String(s.shed).padStart(5)}  ${String(s.errors).padStart(6)}\n`;
    process.stdout.write('step       offered/s  achieved/s  p50 ms   p99 ms   max ms  max/median  page p99 ms   shed  errors\n');
    steps.forEach((s, i) => process.stdout.write(line(i < rates.length ? 'rate' : 'ramp', s)));
    if (overload) process.stdout.write(line('overload', overload));
    if (baseline) process.stdout.write(line('no queue', baseline));
    process.stdout.write(
      `saturation       ${out.saturation_per_s === null ? `not reached up to ${maxRate}/s` : `${out.saturation_per_s} submits/s (highest offered rate sustained: ${out.highest_sustained_offered_per_s}/s)`}\n`,
    );
    process.stdout.write(
      `answers          ${out.acknowledged} acknowledged, ${out.stored} stored\nlost             ${out.lost}\nduplicated       ${out.duplicated}\n`,
    );
  }
  process.exitCode = out.lost === 0 && out.duplicated === 0 && (baselineCheck === null || (baselineCheck.lost === 0 && baselineCheck.duplicated === 0)) ? 0 : 1;
}
