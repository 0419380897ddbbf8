/**
 * `retest tasks create --adaptive --budget N`: the options of an adaptive round and its report.
 * The allocation rules live in src/label (adaptive-allocation.ts, adaptive-tasks.ts).
 */
import { Option } from 'commander';
import { usageError } from '../../core/index.ts';
import { createAdaptiveTasks, DEFAULT_ADAPTIVE } from '../../label/index.ts';

import { parseClassList } from './tasks.ts';
import { positiveInt, printJson } from '../options.ts';
import type { App } from '../types.ts';

export interface AdaptiveCliOptions {
  workspace?: string;
  json?: boolean;
  seed: number;
  adaptive?: boolean;
  budget?: number;
  step: number;
  maxAnswers: number;
  minAnswers: number;
  epsilon: number;
  edges: number[];
  tau?: number;
  classes?: string;
}

function edgesArg(value: string): number[] {
  const edges = value.split(',').map((s) => Number(s.trim()));
  if (edges.some((e, i) => !(e > 0 && e < 1) || (i > 0 && !(e > edges[i - 1]!))))
    throw usageError('--edges takes increasing numbers inside (0, 1), comma-separated', { field: '--edges', received: JSON.stringify(value) });
  return edges;
}

function fractionArg(name: string): (value: string) => number {
  return (value: string) => {
    const v = Number(value);
    if (!(v > 0 && v < 1)) throw usageError(`${name} must be a number inside (0, 1)`, { field: name, received: JSON.stringify(value) });
    return v;
  };
}

function budgetArg(value: string): number {
  const n = Number(value.replace(/[_,]/g, ''));
  if (!Number.isInteger(n) || n < 0)
    throw usageError('--budget must be a non-negative integer (candidate answers)', { field: '--budget', received: JSON.stringify(value) });
  return n;
}

export function adaptiveOptions(): Option[] {
  return [
    new Option('--adaptive', "add follow-up tasks where more answers can change an image's frequency bin (needs --budget)"),
    new Option('--budget <answers>', 'adaptive: candidate answers all adaptive rounds may ask for, in total').argParser(budgetArg),
    new Option('--step <n>', 'adaptive: answers per follow-up').default(DEFAULT_ADAPTIVE.step).argParser(positiveInt('--step')),
    new Option('--max-answers <n>', 'adaptive: most answers one image gets').default(DEFAULT_ADAPTIVE.maxAnswers).argParser(positiveInt('--max-answers')),
    new Option('--min-answers <n>', 'adaptive: answers every image is brought up to first (the eligibility minimum)')
      .default(DEFAULT_ADAPTIVE.minAnswers)
      .argParser(positiveInt('--min-answers')),
    new Option('--epsilon <p>', 'adaptive: an image straddles an edge while its probability of being in another bin exceeds this')
      .default(DEFAULT_ADAPTIVE.epsilon)
      .argParser(fractionArg('--epsilon')),
    new Option('--edges <list>', "adaptive: the bin edges (MatchedFrequency's)").default([...DEFAULT_ADAPTIVE.edges]).argParser(edgesArg),
    new Option('--tau <t>', 'adaptive: also place frequencies against τ (Threshold)').argParser(fractionArg('--tau')),
  ];
}

export async function runAdaptive(app: App, options: AdaptiveCliOptions): Promise<void> {
  if (options.budget === undefined)
    throw usageError('--adaptive needs --budget N (candidate answers)', {
      field: '--budget',
      hint: 'e.g. --budget 20000: at most 20,000 more candidate answers over all adaptive rounds',
    });
  const edges = [...new Set([...options.edges, ...(options.tau !== undefined ? [options.tau] : [])])].sort((a, b) => a - b);
  await app.withWorkspaceStores(options.workspace, async ({ label, labelSources }) => {
    const r = await createAdaptiveTasks(label, labelSources, {
      budget: options.budget as number,
      seed: options.seed,
      edges,
      step: options.step,
      maxAnswers: options.maxAnswers,
      minAnswers: options.minAnswers,
      epsilon: options.epsilon,
      ...(options.classes ? { classes: parseClassList(options.classes) } : {}),
    });
    if (options.json) {
      printJson(r);
      return;
    }
    const n = (v: number) => v.toLocaleString('en-US');
    const a = r.allocation;
    process.stdout.write(
      `${r.round === null ? 'adaptive: nothing scheduled' : `adaptive round ${r.round}: ${n(r.scheduled)} candidate answers scheduled in ${n(r.tasks)} follow-up tasks`} ` +
        `(${n(r.followUps.straddling)} images straddling an edge, ${n(r.followUps.minAnswers)} below ${r.params.minAnswers} answers); budget ${n(r.budget)}: ${n(r.spentBefore)} spent before, ${n(r.remaining)} left\n` +
        `candidates: ${n(r.candidates)} — ${n(a.waiting)} waiting for answers already asked for, ${n(a.settled)} settled (P(other bin) ≤ ${r.params.epsilon}), ` +
        `${n(a.fixed)} whose bin more answers cannot change, ${n(a.straddling)} straddling${a.unfunded > 0 ? ` (${n(a.unfunded)} left without a follow-up: budget spent)` : ''}\n`,
    );
  });
}
