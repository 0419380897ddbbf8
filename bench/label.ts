/**
 * `npm run bench:label [-- --duration 60 --labellers 200 --json]`: 200 simulated labellers for 60 s
 * against `retest serve` (a child process on 127.0.0.1), each claiming a task (the HTML page),
 * picking images and submitting the form; 10% of submissions are retried. Prints submits/s,
 * p50/p99 submit latency, and the lost and duplicated answers found by comparing every
 * acknowledged answer with the database afterwards (both must be 0).
 * Baseline in the same run: the same submissions made in-process (`submitAssignment` with no HTTP).
 */
import { parseArgs } from 'node:util';
import { claimNextAssignment, submitAssignment } from '../src/label/index.ts';
import { closeWorkspace, openWorkspace } from '../src/workspace/index.ts';
import { buildLoadWorkspace, checkAnswers, quantile, runLabellers, spawnServer } from './label-harness.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    labellers: { type: 'string', default: '200' },
    tasks: { type: 'string' },
    assignments: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const duration = Number(values.duration);
const labellers = Number(values.labellers);
const wanted = Number(values.assignments);
if (!(duration > 0) || !Number.isInteger(labellers) || labellers < 1 || !Number.isInteger(wanted) || wanted < 1) {
  process.stderr.write('usage: bench/label.ts [--duration S] [--labellers N] [--tasks T] [--assignments N] [--json]\n');
  process.exit(2);
}
// Enough tasks that labellers never run out at ~1000 submits/s.
const tasks = values.tasks ? Number(values.tasks) : Math.ceil((Math.max(duration, 5) * 1000) / wanted);
const log = (s: string) => { if (!values.json) process.stderr.write(`${s}\n`); };

log(`building a workspace: ${tasks} tasks × 48 images, N = ${wanted}, ${labellers} labellers…`);
const { dir, tokens } = buildLoadWorkspace({ tasks, assignmentsWanted: wanted, labellers });

const server = await spawnServer(dir);
log(`server at ${server.url}; ${labellers} labellers for ${duration} s…`);
const started = performance.now();
const deadline = started + duration * 1000;
const load = await runLabellers(server.url, tokens, () => performance.now() >= deadline);
const elapsed = (performance.now() - started) / 1000;
server.child.kill('SIGTERM');
await server.exited;
const check = checkAnswers(dir, load.acks, load.duplicateAcks);

// Baseline (after the check, on the same workspace): the label stage's own claim + submit,
// in-process, no HTTP, one transaction each, synchronous = FULL as in the server, for 3 s.
const baseline = (() => {
  const ws = openWorkspace(dir);
  ws.db.pragma('synchronous = FULL'); // as the server runs
  try {
    let n = 0;
    const until = performance.now() + 3000;
    const pseudo = Array.from({ length: 50 }, (_, i) => `baseline-worker-${i}`);
    while (performance.now() < until) {
      const claim = claimNextAssignment(ws.db, { workerHash: pseudo[n % pseudo.length]!, now: new Date(), ttlSeconds: 600 });
      if (!claim) break;
      submitAssignment(ws.db, { assignmentId: claim.assignmentId, workerHash: pseudo[n % pseudo.length]!, selectedTokens: claim.items.slice(0, 10).map((i) => i.token), now: new Date() });
      n++;
    }
    return n / 3;
  } finally {
    closeWorkspace(ws);
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
  process.stdout.write(`submits/s        ${out.submits_per_s}  (${out.ratio_to_baseline}× the in-process baseline of ${out.baseline_in_process_submits_per_s}/s)\n`);
  process.stdout.write(`submit latency   p50 ${out.p50_ms} ms, p99 ${out.p99_ms} ms   (task page p50 ${out.page_p50_ms} ms, p99 ${out.page_p99_ms} ms)\n`);
  process.stdout.write(`answers          ${out.acknowledged} acknowledged, ${out.stored} stored, ${out.retries} retried\n`);
  process.stdout.write(`lost             ${out.lost}\nduplicated       ${out.duplicated}\n`);
  if (out.errors) process.stdout.write(`errors           ${out.errors}\n`);
  if (out.labellers_out_of_tasks) process.stdout.write(`note: ${out.labellers_out_of_tasks} labellers ran out of tasks (raise --tasks)\n`);
}
process.exitCode = out.lost === 0 && out.duplicated === 0 ? 0 : 1;
