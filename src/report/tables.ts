/**
 * The per-model table of a pair in Markdown, CSV and LaTeX (booktabs), and the fits table.
 * Markdown/LaTeX show percentages with 2 decimals; CSV keeps fractions to 6 decimals.
 */
import type { Comparison } from '../analyze/index.ts';
import { errorRatio, SCALES } from '../analyze/index.ts';
import { fixed, interval, pct } from './format.ts';

interface Row {
  model: string;
  source: string;
  inFit: boolean;
  m: Comparison['analysis']['models'][number];
}

function rows(c: Comparison): Row[] {
  return c.analysis.models.map((m, i) => ({ model: m.model, source: c.sources[i] === 'store' ? 'yours' : 'published', inFit: c.inFit[i] ?? true, m }));
}

export function markdownTable(c: Comparison): string {
  const head =
    '| model | source | original % [95% CI] | new % [95% CI] | drop (points) | error ratio | effective robustness (points) |\n|---|---|---|---|---:|---:|---:|';
  const body = rows(c).map(
    ({ model, source, inFit, m }) =>
      `| ${model.replace(/\|/g, '\\|')}${inFit ? '' : ' †'} | ${source} | ${pct(m.original.accuracy)} [${pct(m.original.ci95[0])}, ${pct(m.original.ci95[1])}] | ${pct(m.new.accuracy)} [${pct(m.new.ci95[0])}, ${pct(m.new.ci95[1])}] | ${pct(m.gap)} | ${fixed(errorRatio(m), 2)} | ${m.effectiveRobustness === null ? '—' : pct(m.effectiveRobustness)} |`,
  );
  const note = c.inFit.some((f) => !f) ? '\n\n† not used for the fit.' : '';
  return `${head}\n${body.join('\n')}${note}\n`;
}

export function fitsMarkdown(c: Comparison): string {
  const lines = ['| scale | slope [95% CI] | intercept [95% CI] | R² |', '|---|---|---|---:|'];
  for (const s of SCALES) {
    const f = c.analysis.fits[s];
    lines.push(
      f
        ? `| ${s} | ${fixed(f.slope)} ${interval(f.slopeCi95)} | ${fixed(f.intercept)} ${interval(f.interceptCi95)} | ${fixed(f.r2, 4)} |`
        : `| ${s} | — | — | — |`,
    );
  }
  const rc = c.analysis.rankCorrelation;
  lines.push('', `Rank correlation of the models between the two test sets: Spearman ${fixed(rc.spearman)}, Kendall τ-b ${fixed(rc.kendall)}.`);
  return `${lines.join('\n')}\n`;
}

const csvCell = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function csvTable(c: Comparison): string {
  const head =
    'model,source,in_fit,original_correct,original_n,original_accuracy,original_ci_low,original_ci_high,new_correct,new_n,new_accuracy,new_ci_low,new_ci_high,gap,error_ratio,effective_robustness';
  const f6 = (v: number) => v.toFixed(6);
  const body = rows(c).map(({ model, source, inFit, m }) =>
    [
      csvCell(model),
      source,
      inFit ? 'true' : 'false',
      m.original.correct,
      m.original.n,
      f6(m.original.accuracy),
      f6(m.original.ci95[0]),
      f6(m.original.ci95[1]),
      m.new.correct,
      m.new.n,
      f6(m.new.accuracy),
      f6(m.new.ci95[0]),
      f6(m.new.ci95[1]),
      f6(m.gap),
      errorRatio(m) === null ? '' : f6(errorRatio(m) as number),
      m.effectiveRobustness === null ? '' : f6(m.effectiveRobustness),
    ].join(','),
  );
  return `${head}\n${body.join('\n')}\n`;
}

const tex = (s: string): string =>
  s.replace(/([\\_%&#$^{}~])/g, (ch) =>
    ch === '\\' ? '\\textbackslash{}' : ch === '~' ? '\\textasciitilde{}' : ch === '^' ? '\\textasciicircum{}' : `\\${ch}`,
  );

export function latexTable(c: Comparison, caption: string): string {
  const lines = [
    '% requires \\usepackage{booktabs}',
    '\\begin{table}[t]',
    '\\centering',
    `\\caption{${tex(caption)}}`,
    '\\begin{tabular}{llrrrrr}',
    '\\toprule',
    'Model & Source & Original (\\%) & New (\\%) & Drop & Err.\\ ratio & Eff.\\ rob. \\\\',
    '\\midrule',
    ...rows(c).map(
      ({ model, source, m }) =>
        `${tex(model)} & ${source} & ${pct(m.original.accuracy)} {\\scriptsize [${pct(m.original.ci95[0])}, ${pct(m.original.ci95[1])}]} & ${pct(m.new.accuracy)} {\\scriptsize [${pct(m.new.ci95[0])}, ${pct(m.new.ci95[1])}]} & ${pct(m.gap)} & ${fixed(errorRatio(m), 2)} & ${m.effectiveRobustness === null ? '--' : pct(m.effectiveRobustness)} \\\\`,
    ),
    '\\bottomrule',
    '\\end{tabular}',
    '\\end{table}',
  ];
  return `${lines.join('\n')}\n`;
}
