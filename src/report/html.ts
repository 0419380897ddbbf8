/**
 * The self-contained HTML report: inline CSS and SVG, no scripts, no network (a Content-Security-
 * Policy forbids any fetch). Deterministic: the same inputs give byte-identical HTML.
 */
import { errorRatio, SCALES } from '../analyze/index.ts';
import { fixed, interval, pct } from './format.ts';
import type { PairHeadline, PairReport } from './types.ts';

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function headlineText(h: PairHeadline): string {
  const parts = [`${h.models} models${h.yourModels > 0 ? ` (${h.yourModels} yours)` : ''}`];
  parts.push(h.meanDropPoints === null ? 'mean drop —' : `mean drop ${h.meanDropPoints.toFixed(1)} points`);
  if (h.linear) parts.push(`linear slope ${h.linear.slope.toFixed(2)} ${interval(h.linear.slope_ci95, 2)}`);
  if (h.probit) parts.push(`probit slope ${h.probit.slope.toFixed(2)} ${interval(h.probit.slope_ci95, 2)}`);
  if (h.modelsInFit !== h.models) parts.push(`fit over ${h.modelsInFit} of ${h.models}`);
  return parts.join(' · ');
}

export interface HtmlInput {
  pairs: { report: PairReport; headline: PairHeadline; scatterSvg: string; frequencySvgs: string[] }[];
  citation: string | null;
  metric: 'top1' | 'top5';
  axes: 'linear' | 'probit';
}

function modelTable(report: PairReport): string {
  const c = report.comparison;
  const rows = c.analysis.models.map((m, i) => {
    const yours = c.sources[i] === 'store';
    return `<tr class="${yours ? 'yours' : 'published'}"><td>${esc(m.model)}${c.inFit[i] ? '' : ' †'}</td><td>${yours ? 'yours' : 'published'}</td><td>${m.original.correct}/${m.original.n}</td><td>${pct(m.original.accuracy)} <small>[${pct(m.original.ci95[0])}, ${pct(m.original.ci95[1])}]</small></td><td>${m.new.correct}/${m.new.n}</td><td>${pct(m.new.accuracy)} <small>[${pct(m.new.ci95[0])}, ${pct(m.new.ci95[1])}]</small></td><td>${pct(m.gap)}</td><td>${fixed(errorRatio(m), 2)}</td><td>${m.effective_robustness === null ? '—' : pct(m.effective_robustness)}</td></tr>`;
  });
  return `<table class="models"><thead><tr><th>model</th><th>source</th><th>original correct</th><th>original % [95% CI]</th><th>new correct</th><th>new % [95% CI]</th><th>drop (points)</th><th>error ratio</th><th>effective robustness (points)</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>${c.inFit.some((f) => !f) ? '<p class="note">† not used for the fit.</p>' : ''}`;
}

function fitsTable(report: PairReport): string {
  const c = report.comparison;
  const rows = SCALES.map((s) => {
    const f = c.analysis.fits[s];
    return f ? `<tr><td>${s}</td><td>${fixed(f.slope)} <small>${interval(f.slope_ci95)}</small></td><td>${fixed(f.intercept)} <small>${interval(f.intercept_ci95)}</small></td><td>${fixed(f.r2, 4)}</td></tr>` : `<tr><td>${s}</td><td>—</td><td>—</td><td>—</td></tr>`;
  });
  const rc = c.analysis.rank_correlation;
  return `<table class="fits"><thead><tr><th>scale</th><th>slope [95% CI]</th><th>intercept [95% CI]</th><th>R²</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<p>Bootstrap: ${c.resamples.toLocaleString('en-US')} resamples of the models, seed ${esc(String(c.seed))}. Rank correlation between the two test sets: Spearman ${fixed(rc.spearman)}, Kendall τ-b ${fixed(rc.kendall)}.${report.fitExclude.length > 0 ? ` Kept out of the fit: ${esc(report.fitExclude.join(', '))}.` : ''}</p>`;
}

const CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1d232a;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:2.2em;border-bottom:1px solid #d9dee3;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.88em;margin:.6em 0}th,td{padding:.25em .6em;border-bottom:1px solid #e6e9ec;text-align:right}
th:first-child,td:first-child,td:nth-child(2){text-align:left}tr.yours td{color:#b2361f;font-weight:600}
small{color:#66717d}.headline{font-size:1.05em;background:#f4f6f8;padding:.5em .8em;border-left:4px solid #1f5fa8}
figure{margin:1em 0}figure svg{max-width:100%;height:auto}.note,.files{color:#66717d;font-size:.9em}
details summary{cursor:pointer;margin:.6em 0}code{background:#f0f2f4;padding:0 .25em}`;

export function reportHtml(input: HtmlInput): string {
  const summaryRows = input.pairs.map(({ report, headline }) => `<tr><td><a href="#${esc(report.slug)}">${esc(headline.title)}</a></td><td>${headline.models}</td><td>${headline.yourModels}</td><td>${headline.meanDropPoints === null ? '—' : headline.meanDropPoints.toFixed(1)}</td><td>${headline.linear ? `${headline.linear.slope.toFixed(2)} <small>${interval(headline.linear.slope_ci95, 2)}</small>` : '—'}</td><td>${headline.probit ? `${headline.probit.slope.toFixed(2)} <small>${interval(headline.probit.slope_ci95, 2)}</small>` : '—'}</td></tr>`);
  const sections = input.pairs.map(({ report, headline, scatterSvg, frequencySvgs }) => {
    const c = report.comparison;
    const freq = report.frequencies.length > 0
      ? `<h3>Accuracy by selection frequency</h3>\n${report.frequencies.map((f, i) => `<figure class="frequency" data-test-set="${esc(f.testSet)}">${frequencySvgs[i] ?? ''}<figcaption class="note">${esc(f.testSet)}: frequencies from ${esc(f.source)}; bins of the fraction of annotators who chose the true class; images per bin: ${f.bins.map((b) => b.images).join(', ')}.</figcaption></figure>`).join('\n')}`
      : '';
    return `<section class="pair" id="${esc(report.slug)}" data-original="${esc(c.analysis.original)}" data-new="${esc(c.analysis.new)}" data-models="${c.analysis.models.length}">
<h2>${esc(headline.title)}</h2>
<p class="headline">${esc(headlineText(headline))}</p>
<figure class="scatter" data-models="${c.analysis.models.length}">${scatterSvg}</figure>
<h3>Trend across models</h3>
${fitsTable(report)}
${freq}
<details><summary>Per-model table (${c.analysis.models.length} models)</summary>
${modelTable(report)}
</details>
<p class="files">Files: <a href="tables/${esc(report.slug)}.md">Markdown</a> · <a href="tables/${esc(report.slug)}.csv">CSV</a> · <a href="tables/${esc(report.slug)}.tex">LaTeX</a> · <a href="specs/${esc(report.slug)}.scatter.vl.json">Vega-Lite spec</a> · <a href="analysis/${esc(report.slug)}.json">analysis JSON</a></p>
</section>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>retest report</title>
<style>${CSS}</style>
</head>
<body>
<h1>How well do the classifiers generalize?</h1>
<p>Accuracy on each original test set against accuracy on its re-created test set (${input.metric === 'top1' ? 'top-1' : 'top-5'}), one point per model, with exact 95% Clopper–Pearson intervals on both axes, the line y = x (dashed: no drop), and the least-squares trend with its 95% bootstrap band${input.axes === 'probit' ? ', on probit-spaced axes' : ''}. Your models (evaluated or imported) are drawn in red and labelled; hollow points are kept out of the fit.</p>
${input.citation ? `<p class="note">Published results: ${esc(input.citation)}.</p>` : ''}
<table class="summary"><thead><tr><th>original → new</th><th>models</th><th>yours</th><th>mean drop (points)</th><th>linear slope [95% CI]</th><th>probit slope [95% CI]</th></tr></thead><tbody>
${summaryRows.join('\n')}
</tbody></table>
${sections.join('\n')}
<p class="note">Generated by retest. Plot specifications (Vega-Lite) and tables are in this folder beside the page.</p>
</body>
</html>
`;
}
