/**
 * `npm run bench:adaptive [-- --seeds 5 --budgets 10,12,15,20,25,30 --json]`: adaptive answer
 * allocation against a fixed number of answers per image, on real human votes.
 *
 * CIFAR-10H gives ≈ 51 human votes for each of the 10,000 CIFAR-10 test images. The 51-vote
 * selection frequency (votes for the true class / all votes) is taken as the truth. Labelling is
 * simulated by drawing an image's votes without replacement, in a seeded order:
 * - fixed-K: every image gets its first K votes (K = 10 is the authors' plan);
 * - adaptive at a budget of B answers per image: every image gets 10 votes (the eligibility
 *   minimum), then rounds of `allocateFollowUps` — the function behind
 *   `retest tasks create --adaptive` — give `step` more votes to the images whose bin is still
 *   uncertain, until the budget is spent or no image straddles an edge (it may spend less).
 * Both draw from the same vote order per image, so they differ only in how many votes they take.
 *
 * Measured: the fraction of images whose estimated frequency falls in another MatchedFrequency bin
 * ([0,.2) [.2,.4) [.4,.6) [.6,.8) [.8,1]) than their true one; and, for a MatchedFrequency sample
 * (per class: a seeded half of the images as the reference set, histogram from their true
 * frequencies; 100 images sampled from the other half by their estimated frequencies), the per-bin
 * error Σ_b |images whose true bin is b − target of bin b| / images sampled. The baseline is fixed-K
 * at the same total answers, in the same run; "answers for the same error" is the smallest adaptive
 * budget (searched in steps of 0.5 answers per image) whose misplaced fraction is no higher than
 * fixed-K's.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng, shuffled } from '../src/core/index.ts';
import { npyToNumbers, readNpy } from '../src/formats/index.ts';
import { allocateFollowUps, binAgainst, DEFAULT_ADAPTIVE, fitFrequencyPrior, type ImageTally } from '../src/label/index.ts';
import { matchedFrequency } from '../src/sample/index.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    budgets: { type: 'string', default: '10,12,15,20,25,30' },
    step: { type: 'string', default: String(DEFAULT_ADAPTIVE.step) },
    max: { type: 'string', default: String(DEFAULT_ADAPTIVE.maxAnswers) },
    epsilon: { type: 'string', default: String(DEFAULT_ADAPTIVE.epsilon) },
    'per-class': { type: 'string', default: '100' },
    'mf-draws': { type: 'string', default: '10' },
    edges: { type: 'string', default: DEFAULT_ADAPTIVE.edges.join(',') },
    'data-dir': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const dataDir = resolve(values['data-dir'] ?? process.env.RETEST_SHARED_DATA ?? join(import.meta.dirname, '..', '..', 'shared', 'data'));
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
const budgets = values.budgets.split(',').map(Number);
const step = Number(values.step),
  maxAnswers = Number(values.max),
  epsilon = Number(values.epsilon),
  perClass = Number(values['per-class']),
  mfDraws = Number(values['mf-draws']);
const EDGES = values.edges.split(',').map(Number);
// The MatchedFrequency sample is scored only against its own bins; with other edges (τ alone: --edges 0.7) it is skipped.
const mfBins = EDGES.join(',') === DEFAULT_ADAPTIVE.edges.join(',');
const MIN = DEFAULT_ADAPTIVE.minAnswers;
const log = (s: string) => {
  if (!values.json) process.stdout.write(`${s}\n`);
};

// --- the votes -------------------------------------------------------------------------------
const countsFile = join(dataDir, 'cifar10h', 'cifar10h-counts.npy');
const labelsFile = join(dataDir, 'cifar10', 'test_labels_official.npy');
const counts = npyToNumbers(readNpy(countsFile), countsFile);
const labels = npyToNumbers(readNpy(labelsFile), labelsFile);
const N = labels.length;
const votes = new Int32Array(N),
  yes = new Int32Array(N);
for (let i = 0; i < N; i++) {
  for (let c = 0; c < 10; c++) votes[i] = votes[i]! + Math.round(counts[i * 10 + c]!);
  yes[i] = Math.round(counts[i * 10 + labels[i]!] as number);
}
const trueBin = Int32Array.from({ length: N }, (_, i) => binAgainst(yes[i]! / votes[i]!, EDGES));
const classOf = Int32Array.from(labels);

/** Per seed: each image's votes in a random order (1 = chose the true class), and the 50/50 reference split per class. */
function world(seed: number): { order: Uint8Array[]; reference: Uint8Array } {
  const rng = createRng(`adaptive-bench-${seed}`);
  const order = Array.from({ length: N }, (_, i) =>
    Uint8Array.from(
      shuffled(
        Array.from({ length: votes[i]! }, (_, v) => (v < yes[i]! ? 1 : 0)),
        rng,
      ),
    ),
  );
  const reference = new Uint8Array(N);
  for (let c = 0; c < 10; c++) {
    const members = shuffled(
      Array.from({ length: N }, (_, i) => i).filter((i) => classOf[i] === c),
      rng,
    );
    for (const i of members.slice(0, Math.floor(members.length / 2))) reference[i] = 1;
  }
  return { order, reference };
}

interface Outcome {
  answers: Int32Array;
  selected: Int32Array;
  spent: number;
  rounds: number;
}

function take(order: Uint8Array[], answers: Int32Array, selected: Int32Array, i: number, extra: number): number {
  const from = answers[i]!,
    to = Math.min(from + extra, (order[i] as Uint8Array).length);
  for (let v = from; v < to; v++) selected[i] = selected[i]! + ((order[i] as Uint8Array)[v] as number);
  answers[i] = to;
  return to - from;
}

function fixed(order: Uint8Array[], k: number): Outcome {
  const answers = new Int32Array(N),
    selected = new Int32Array(N);
  let spent = 0;
  for (let i = 0; i < N; i++) spent += take(order, answers, selected, i, k);
  return { answers, selected, spent, rounds: 1 };
}

function adaptive(order: Uint8Array[], budgetPerImage: number): Outcome {
  const answers = new Int32Array(N),
    selected = new Int32Array(N);
  let spent = 0;
  for (let i = 0; i < N; i++) spent += take(order, answers, selected, i, MIN);
  const total = Math.round(budgetPerImage * N);
  let rounds = 1;
  const ids = Array.from({ length: N }, (_, i) => String(i).padStart(5, '0'));
  for (; rounds < 100 && spent < total; rounds++) {
    const tallies: ImageTally[] = Array.from({ length: N }, (_, i) => ({
      imageId: ids[i] as string,
      classIdx: classOf[i]!,
      answers: answers[i]!,
      selected: selected[i]!,
    }));
    const allocation = allocateFollowUps(
      tallies,
      { edges: EDGES, minAnswers: MIN, maxAnswers, step, epsilon, budget: total - spent },
      fitFrequencyPrior(tallies),
    );
    if (allocation.followUps.length === 0) break;
    for (const f of allocation.followUps) spent += take(order, answers, selected, Number(f.imageId), f.extra);
  }
  return { answers, selected, spent, rounds };
}

function misplaced(o: Outcome): number {
  let m = 0;
  for (let i = 0; i < N; i++) if (binAgainst(o.selected[i]! / o.answers[i]!, EDGES) !== trueBin[i]) m++;
  return m / N;
}

/**
 * MatchedFrequency samples from the estimated frequencies (`draws` seeded draws), scored against
 * the true bins: per bin, the share of its slots filled by an image whose true frequency is in
 * another bin (an upward-sampled image fills a slot of the lower bin, so it counts as wrong there
 * unless it truly belongs); and the histogram error Σ_b |true-bin count − target| / images.
 */
function sampleError(
  o: Outcome,
  reference: Uint8Array,
  seed: number,
  draws: number,
): { slots: number[]; wrong: number[]; perBin: number[]; targets: number[]; error: number } {
  const histograms = new Map<number, number[]>();
  for (let c = 0; c < 10; c++) histograms.set(c, [0, 0, 0, 0, 0]);
  const candidates = [];
  for (let i = 0; i < N; i++) {
    if (reference[i]) (histograms.get(classOf[i]!) as number[])[trueBin[i]!]! += 1;
    else candidates.push({ imageId: String(i), classIdx: classOf[i]!, frequency: o.selected[i]! / o.answers[i]!, answers: o.answers[i]! });
  }
  const slots = [0, 0, 0, 0, 0],
    wrong = [0, 0, 0, 0, 0],
    perBin = [0, 0, 0, 0, 0],
    targets = [0, 0, 0, 0, 0];
  let error = 0;
  for (let d = 0; d < draws; d++) {
    const outcome = matchedFrequency(
      { classes: Array.from({ length: 10 }, (_, c) => c), perClass, candidates, referenceHistograms: histograms },
      {},
      createRng(`mf-${seed}-${d}`),
    );
    const drawBins = [0, 0, 0, 0, 0];
    for (const c of outcome.classes) {
      // imageIds are in slot order, bins low → high, binTargets[b] slots each (no CIFAR class runs short).
      let at = 0;
      (c.binTargets ?? []).forEach((t, b) => {
        if (d === 0) targets[b]! += t;
        for (let k = 0; k < t && at < c.imageIds.length; k++, at++) {
          const truth = trueBin[Number(c.imageIds[at])] as number;
          slots[b]! += 1;
          if (truth !== b) wrong[b]! += 1;
          drawBins[truth]! += 1;
        }
      });
    }
    drawBins.forEach((v, b) => {
      perBin[b]! += v / draws;
    });
    error += drawBins.reduce((s, v, b) => s + Math.abs(v - targets[b]!), 0) / outcome.images.length / draws;
  }
  return { slots, wrong, perBin, targets, error };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (f: number, d = 2) => `${(100 * f).toFixed(d)}%`;

const t0 = performance.now();
log(
  `CIFAR-10H: ${N} images, ${Math.min(...votes)}–${Math.max(...votes)} votes each (mean ${mean(Array.from(votes)).toFixed(1)}); true bins against ${EDGES.join(', ')}: ${Array.from({ length: EDGES.length + 1 }, (_, b) => trueBin.filter((x) => x === b).length).join(' / ')}`,
);
log(
  `adaptive: ${MIN} answers each first, then +${step} per round where P(wrong bin) > ${epsilon}, at most ${maxAnswers} per image; ${seeds.length} seeds (vote orders); baseline: fixed-K, same vote orders`,
);
const worlds = seeds.map(world);

interface Side {
  misplaced: number;
  sampleWrong: number;
  perBinWrong: number[];
  histogramError: number;
  perBin: number[];
}
interface Row {
  budget: number;
  fixed: Side;
  adaptive: Side & { spent: number; rounds: number };
}
const rows: Row[] = [];
let targets: number[] = [];
const adaptiveCache = new Map<number, { misplaced: number; spent: number }>();
const adaptiveAt = (b: number) => {
  let r = adaptiveCache.get(b);
  if (!r) {
    const outs = worlds.map((w) => adaptive(w.order, b));
    r = { misplaced: mean(outs.map(misplaced)), spent: mean(outs.map((o) => o.spent / N)) };
    adaptiveCache.set(b, r);
  }
  return r;
};
function side(outcomes: Outcome[]): Side {
  if (!mfBins) return { misplaced: mean(outcomes.map(misplaced)), sampleWrong: Number.NaN, perBinWrong: [], histogramError: Number.NaN, perBin: [] };
  const scored = outcomes.map((o, s) => sampleError(o, worlds[s]!.reference, seeds[s]!, mfDraws));
  targets = scored[0]!.targets;
  const slots = [0, 1, 2, 3, 4].map((b) => scored.reduce((t, x) => t + x.slots[b]!, 0));
  const wrong = [0, 1, 2, 3, 4].map((b) => scored.reduce((t, x) => t + x.wrong[b]!, 0));
  return {
    misplaced: mean(outcomes.map(misplaced)),
    sampleWrong: wrong.reduce((a, b) => a + b, 0) / slots.reduce((a, b) => a + b, 0),
    perBinWrong: wrong.map((w, b) => (slots[b]! > 0 ? w / slots[b]! : 0)),
    histogramError: mean(scored.map((x) => x.error)),
    perBin: [0, 1, 2, 3, 4].map((b) => mean(scored.map((x) => x.perBin[b]!))),
  };
}
for (const budget of budgets) {
  const a = worlds.map((w) => adaptive(w.order, budget));
  rows.push({
    budget,
    fixed: side(worlds.map((w) => fixed(w.order, budget))),
    adaptive: { ...side(a), spent: mean(a.map((o) => o.spent / N)), rounds: mean(a.map((o) => o.rounds)) },
  });
  adaptiveCache.set(budget, { misplaced: rows.at(-1)!.adaptive.misplaced, spent: rows.at(-1)!.adaptive.spent });
}

log('');
log('answers/image  fixed-K misplaced  adaptive misplaced (answers used, rounds)  fewer misplaced');
for (const r of rows) {
  const fewer = r.fixed.misplaced > 0 ? 1 - r.adaptive.misplaced / r.fixed.misplaced : 0;
  log(
    `${String(r.budget).padStart(13)}  ${pct(r.fixed.misplaced).padStart(17)}  ${`${pct(r.adaptive.misplaced)} (${r.adaptive.spent.toFixed(2)}, ${r.adaptive.rounds.toFixed(1)})`.padStart(41)}  ${pct(fewer, 0).padStart(15)}`,
  );
}
if (mfBins) log('');
if (mfBins)
  log(
    `MatchedFrequency sample (${perClass}/class, ${mfDraws} draws per seed): slots filled by an image of another true bin, per bin [0,.2) [.2,.4) [.4,.6) [.6,.8) [.8,1] and overall; histogram error`,
  );
for (const r of mfBins ? rows : []) {
  const bins = (x: Side) => x.perBinWrong.map((w) => pct(w, 1).padStart(6)).join(' ');
  log(
    `${String(r.budget).padStart(13)}  fixed    ${bins(r.fixed)}  overall ${pct(r.fixed.sampleWrong).padStart(6)}  histogram ${pct(r.fixed.histogramError).padStart(6)}`,
  );
  log(
    `${''.padStart(13)}  adaptive ${bins(r.adaptive)}  overall ${pct(r.adaptive.sampleWrong).padStart(6)}  histogram ${pct(r.adaptive.histogramError).padStart(6)}`,
  );
}

// The same error with fewer answers: the smallest adaptive budget that is at least as good as fixed-K.
const savings = rows
  .filter((r) => r.budget > MIN)
  .map((r) => {
    let found: number | null = null;
    for (let b = MIN; b <= r.budget; b += 0.5) {
      if (adaptiveAt(b).misplaced <= r.fixed.misplaced) {
        found = adaptiveAt(b).spent;
        break;
      }
    }
    return { budget: r.budget, fixedMisplaced: r.fixed.misplaced, adaptiveAnswers: found, fewerAnswers: found === null ? null : 1 - found / r.budget };
  });
log('');
log('same misplaced fraction as fixed-K with fewer answers:');
for (const s of savings)
  log(
    `  fixed-${s.budget} (${pct(s.fixedMisplaced)} misplaced): adaptive needs ${s.adaptiveAnswers === null ? '> K' : `${s.adaptiveAnswers.toFixed(2)} answers/image`}${s.fewerAnswers === null ? '' : ` — ${pct(s.fewerAnswers, 0)} fewer`}`,
  );
if (mfBins) log('');
if (mfBins)
  log(
    `MatchedFrequency targets per bin (${perClass}/class): ${targets.join(' / ')}; true-bin counts of the samples at ${rows.at(-1)?.budget ?? ''} answers/image: fixed ${rows
      .at(-1)
      ?.fixed.perBin.map((v) => v.toFixed(1))
      .join(' / ')}, adaptive ${rows
      .at(-1)
      ?.adaptive.perBin.map((v) => v.toFixed(1))
      .join(' / ')}`,
  );
log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
if (values.json) process.stdout.write(`${JSON.stringify({ images: N, seeds, edges: EDGES, step, maxAnswers, epsilon, perClass, targets, rows, savings })}\n`);
