/**
 * The self-contained HTML report: inline CSS and SVG, no network (a Content-Security-Policy forbids
 * any request). Pages with a cloud panel also carry the scripts given (the Vega runtime and its
 * starter) inline, allowed by their sha256 in the policy; pages without one have no script at all.
 * Pure and deterministic: the same inputs give byte-identical HTML.
 */
import { errorRatio, SCALES } from '../analyze/index.ts';
import type { CloudPanel } from './cloud-panel.ts';
import { collectionLabel } from './cloud-spec.ts';
import { fixed, interval, pct } from './format.ts';
import { jsonForScript, scriptHash } from './interactive.ts';
import type { CloudReport, PairHeadline, PairReport } from './types.ts';
import { escapeHtml } from '../core/html.ts';

/** How a model's source reads in tables: yours, published (the paper's), or its collection. */
export function sourceName(source: string | undefined, collection: string | null | undefined): string {
  if (source === 'store') return 'yours';
  return !collection || collection === 'recht2019' ? 'published' : collection;
}

export function headlineText(h: PairHeadline): string {
  const parts = [`${h.models} models${h.yourModels > 0 ? ` (${h.yourModels} yours)` : ''}`];
  parts.push(h.meanDropPoints === null ? 'mean drop —' : `mean drop ${h.meanDropPoints.toFixed(1)} points`);
  if (h.linear) parts.push(`linear slope ${h.linear.slope.toFixed(2)} ${interval(h.linear.slopeCi95, 2)}`);
  if (h.probit) parts.push(`probit slope ${h.probit.slope.toFixed(2)} ${interval(h.probit.slopeCi95, 2)}`);
  if (h.modelsInFit !== h.models) parts.push(`fit over ${h.modelsInFit} of ${h.models}`);
  return parts.join(' · ');
}

export interface HtmlInput {
  /** Per pair: the main panel (null when only clouds have data) and its cloud panels. */
  pairs: { report: PairReport | null; headline: PairHeadline | null; scatterSvg: string; frequencySvgs: string[]; clouds: CloudReport[] }[];
  /** Citations of the published collections drawn. */
  citations: string[];
  /** Inline scripts for the interactive plots (the Vega runtime, its starter); given when a pair has a cloud panel. */
  scripts: string[];
  metric: 'top1' | 'top5';
  axes: 'linear' | 'probit';
}

function modelTable(report: PairReport): string {
  const c = report.comparison;
  const rows = c.analysis.models.map((m, i) => {
    const yours = c.sources[i] === 'store';
    return `<tr class="${yours ? 'yours' : 'published'}"><td>${escapeHtml(m.model)}${c.inFit[i] ? '' : ' †'}</td><td>${yours ? 'yours' : escapeHtml(sourceName(c.sources[i], c.collections[i]))}</td><td>${m.original.correct}/${m.original.n}</td><td>${pct(m.original.accuracy)} <small>[${pct(m.original.ci95[0])}, ${pct(m.original.ci95[1])}]</small></td><td>${m.new.correct}/${m.new.n}</td><td>${pct(m.new.accuracy)} <small>[${pct(m.new.ci95[0])}, ${pct(m.new.ci95[1])}]</small></td><td>${pct(m.gap)}</td><td>${fixed(errorRatio(m), 2)}</td><td>${m.effectiveRobustness === null ? '—' : pct(m.effectiveRobustness)}</td></tr>`;
  });
  return `<table class="models"><thead><tr><th>model</th><th>source</th><th>original correct</th><th>original % [95% CI]</th><th>new correct</th><th>new % [95% CI]</th><th>drop (points)</th><th>error ratio</th><th>effective robustness (points)</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>${c.inFit.some((f) => !f) ? '<p class="note">† not used for the fit.</p>' : ''}`;
}

function fitsTable(report: PairReport): string {
  const c = report.comparison;
  const rows = SCALES.map((s) => {
    const f = c.analysis.fits[s];
    return f
      ? `<tr><td>${s}</td><td>${fixed(f.slope)} <small>${interval(f.slopeCi95)}</small></td><td>${fixed(f.intercept)} <small>${interval(f.interceptCi95)}</small></td><td>${fixed(f.r2, 4)}</td></tr>`
      : `<tr><td>${s}</td><td>—</td><td>—</td><td>—</td></tr>`;
  });
  const rc = c.analysis.rankCorrelation;
  return `<table class="fits"><thead><tr><th>scale</th><th>slope [95% CI]</th><th>intercept [95% CI]</th><th>R²</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<p>Bootstrap: ${c.resamples.toLocaleString('en-US')} resamples of the models, seed ${escapeHtml(String(c.seed))}. Rank correlation between the two test sets: Spearman ${fixed(rc.spearman)}, Kendall τ-b ${fixed(rc.kendall)}.${report.fitExclude.length > 0 ? ` Kept out of the fit: ${escapeHtml(report.fitExclude.join(', '))}.` : ''}</p>`;
}

const CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1d232a;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:2.2em;border-bottom:1px solid #d9dee3;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.88em;margin:.6em 0}th,td{padding:.25em .6em;border-bottom:1px solid #e6e9ec;text-align:right}
th:first-child,td:first-child,td:nth-child(2){text-align:left}tr.yours td{color:#b2361f;font-weight:600}
small{color:#66717d}.headline{font-size:1.05em;background:#f4f6f8;padding:.5em .8em;border-left:4px solid #1f5fa8}
figure{margin:1em 0}figure svg{max-width:100%;height:auto}.note,.files{color:#66717d;font-size:.9em}
details summary{cursor:pointer;margin:.6em 0}code{background:#f0f2f4;padding:0 .25em}`;

const summaryRow = (slug: string, headline: PairHeadline): string =>
  `<tr><td><a href="#${escapeHtml(slug)}">${escapeHtml(headline.title)}</a></td><td>${headline.models}</td><td>${headline.yourModels}</td><td>${headline.meanDropPoints === null ? '—' : headline.meanDropPoints.toFixed(1)}</td><td>${headline.linear ? `${headline.linear.slope.toFixed(2)} <small>${interval(headline.linear.slopeCi95, 2)}</small>` : '—'}</td><td>${headline.probit ? `${headline.probit.slope.toFixed(2)} <small>${interval(headline.probit.slopeCi95, 2)}</small>` : '—'}</td></tr>`;

const signed = (fraction: number | null): string => (fraction === null ? '—' : `${fraction >= 0 ? '+' : ''}${pct(fraction)}`);

/** Your models against each fit: effective robustness and percentile among the fitted models. */
function yoursTable(panel: CloudPanel): string {
  if (panel.yours.length === 0) {
    return `<p class="note">No models of yours on this pair yet: evaluate (<code>retest eval</code>) or import (<code>retest import</code>) one on both test sets and it is placed here, with its effective robustness under each fit and its percentile among ${escapeHtml(collectionLabel(panel.collection))}'s models.</p>`;
  }
  const fits = panel.yours[0]!.under;
  const head = fits
    .map(
      (u) =>
        `<th>eff. rob. vs ${escapeHtml(collectionLabel(u.collection))} fit (points)</th><th>percentile among ${escapeHtml(collectionLabel(u.collection))}'s ${u.fitModels}</th>`,
    )
    .join('');
  const rows = panel.yours.map(
    (y) =>
      `<tr class="yours"><td>${escapeHtml(y.model)}</td><td>${pct(y.original.accuracy)}</td><td>${pct(y.new.accuracy)}</td>${y.under.map((u) => `<td>${signed(u.effectiveRobustness)}</td><td>${u.percentile === null ? '—' : u.percentile.toFixed(1)}</td>`).join('')}</tr>`,
  );
  return `<table class="yours-vs-cloud"><thead><tr><th>your model</th><th>original %</th><th>new %</th>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>
<p class="note">Effective robustness = your new accuracy minus a fit at your original accuracy (in the plot's scale); the percentile is the share of that collection's fitted models with a lower effective robustness under the same fit (ties count half).</p>`;
}

function cloudFitsTable(panel: CloudPanel): string {
  const rows = [
    { name: collectionLabel(panel.collection), c: panel.cloud },
    ...(panel.reference && panel.referenceCollection ? [{ name: collectionLabel(panel.referenceCollection), c: panel.reference }] : []),
  ].flatMap(({ name, c }) =>
    SCALES.map((s) => {
      const f = c.analysis.fits[s];
      return `<tr><td>${escapeHtml(name)}</td><td>${c.inFit.filter(Boolean).length}</td><td>${s}</td><td>${f ? `${fixed(f.slope)} <small>${interval(f.slopeCi95)}</small>` : '—'}</td><td>${f ? `${fixed(f.intercept)} <small>${interval(f.interceptCi95)}</small>` : '—'}</td><td>${f ? fixed(f.r2, 4) : '—'}</td></tr>`;
    }),
  );
  return `<table class="fits"><thead><tr><th>fitted over</th><th>models</th><th>scale</th><th>slope [95% CI]</th><th>intercept [95% CI]</th><th>R²</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function cloudSection(cloud: CloudReport): string {
  const { panel } = cloud;
  const name = collectionLabel(panel.collection);
  const id = `${cloud.slug}`;
  return `<div class="cloud-panel" id="${escapeHtml(id)}" data-collection="${escapeHtml(panel.collection)}" data-models="${panel.cloud.sources.filter((s) => s !== 'store').length}" data-yours="${panel.yours.length}">
<h3>Your models against ${escapeHtml(name)}'s ${panel.cloud.sources.filter((s) => s !== 'store').length.toLocaleString('en-US')} models</h3>
<p class="headline">${escapeHtml(headlineText(cloud.headline))}</p>
<figure class="cloud" data-vega="${escapeHtml(id)}-vega"><div class="interactive"></div><div class="static">${cloud.svg}</div>
<figcaption class="note">Hover a point for the model; drag to pan, scroll to zoom, double-click to reset; type part of a name to find a model. The static plot (for papers) is <a href="plots/${escapeHtml(id)}.svg">plots/${escapeHtml(id)}.svg</a>.</figcaption></figure>
<script type="application/json" id="${escapeHtml(id)}-vega">${jsonForScript(cloud.vega)}</script>
${yoursTable(panel)}
${cloudFitsTable(panel)}
<p class="files">Files: <a href="tables/${escapeHtml(id)}.csv">per-model CSV</a> · <a href="tables/${escapeHtml(id)}.yours.csv">your models CSV</a> · <a href="specs/${escapeHtml(id)}.vl.json">Vega-Lite spec</a> · <a href="specs/${escapeHtml(id)}.interactive.vl.json">interactive spec</a> · <a href="analysis/${escapeHtml(id)}.json">analysis JSON</a></p>
</div>`;
}

/** Your models' positions as CSV: effective robustness (fraction) and percentile under each fit. */
export function cloudCsv(panel: CloudPanel): string {
  const head = 'model,original_accuracy,new_accuracy,fit_collection,fit_models,effective_robustness,percentile';
  const body = panel.yours.flatMap((y) =>
    y.under.map((u) =>
      [
        /[",\n]/.test(y.model) ? `"${y.model.replace(/"/g, '""')}"` : y.model,
        y.original.accuracy.toFixed(6),
        y.new.accuracy.toFixed(6),
        u.collection,
        u.fitModels,
        u.effectiveRobustness === null ? '' : u.effectiveRobustness.toFixed(6),
        u.percentile === null ? '' : u.percentile.toFixed(2),
      ].join(','),
    ),
  );
  return `${head}\n${body.map((l) => `${l}\n`).join('')}`;
}

export function reportHtml(input: HtmlInput): string {
  const summaryRows = input.pairs.flatMap(({ report, headline, clouds }) => [
    ...(report && headline ? [summaryRow(report.slug, headline)] : []),
    ...clouds.map((c) => summaryRow(c.slug, c.headline)),
  ]);
  const sections = input.pairs.map(({ report, headline, scatterSvg, frequencySvgs, clouds }) => {
    const cloudHtml = clouds.map(cloudSection).join('\n');
    if (!report || !headline) {
      const first = clouds[0]!;
      const a = first.panel.cloud.analysis;
      return `<section class="pair" id="${escapeHtml(first.slug.replace(/\.cloud-.*$/, ''))}" data-original="${escapeHtml(a.original)}" data-new="${escapeHtml(a.new)}" data-models="0">
<h2>${escapeHtml(first.title)}</h2>
${cloudHtml}
</section>`;
    }
    const c = report.comparison;
    const freq =
      report.frequencies.length > 0
        ? `<h3>Accuracy by selection frequency</h3>\n${report.frequencies.map((f, i) => `<figure class="frequency" data-test-set="${escapeHtml(f.testSet)}">${frequencySvgs[i] ?? ''}<figcaption class="note">${escapeHtml(f.testSet)}: frequencies from ${escapeHtml(f.source)}; bins of the fraction of annotators who chose the true class; images per bin: ${f.bins.map((b) => b.images).join(', ')}.</figcaption></figure>`).join('\n')}`
        : '';
    return `<section class="pair" id="${escapeHtml(report.slug)}" data-original="${escapeHtml(c.analysis.original)}" data-new="${escapeHtml(c.analysis.new)}" data-models="${c.analysis.models.length}">
<h2>${escapeHtml(headline.title)}</h2>
<p class="headline">${escapeHtml(headlineText(headline))}</p>
<figure class="scatter" data-models="${c.analysis.models.length}">${scatterSvg}</figure>
<h3>Trend across models</h3>
${fitsTable(report)}
${freq}
<details><summary>Per-model table (${c.analysis.models.length} models)</summary>
${modelTable(report)}
</details>
<p class="files">Files: <a href="tables/${escapeHtml(report.slug)}.md">Markdown</a> · <a href="tables/${escapeHtml(report.slug)}.csv">CSV</a> · <a href="tables/${escapeHtml(report.slug)}.tex">LaTeX</a> · <a href="specs/${escapeHtml(report.slug)}.scatter.vl.json">Vega-Lite spec</a> · <a href="analysis/${escapeHtml(report.slug)}.json">analysis JSON</a></p>${cloudHtml ? `\n${cloudHtml}` : ''}
</section>`;
  });
  const interactive = input.pairs.some((p) => p.clouds.length > 0);
  if (interactive && input.scripts.length === 0) throw new Error('bug: a cloud panel without the scripts that draw it');
  const scripts = interactive ? input.scripts : [];
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:${interactive ? `; script-src ${scripts.map(scriptHash).join(' ')} 'unsafe-eval'` : ''}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>retest report</title>
<style>${CSS}${interactive ? `\n${CLOUD_CSS}` : ''}</style>
</head>
<body>
<h1>How well do the classifiers generalize?</h1>
<p>Accuracy on each original test set against accuracy on its re-created test set (${input.metric === 'top1' ? 'top-1' : 'top-5'}), one point per model, with exact 95% Clopper–Pearson intervals on both axes, the line y = x (dashed: no drop), and the least-squares trend with its 95% bootstrap band${input.axes === 'probit' ? ', on probit-spaced axes' : ''}. Your models (evaluated or imported) are drawn in red and labelled; hollow points are kept out of the fit.${interactive ? ' Where a larger published collection has both test sets, a second, interactive plot places your models in its cloud, with its own fit.' : ''}</p>
${input.citations.map((c) => `<p class="note">Published results: ${escapeHtml(c)}.</p>`).join('\n')}${input.citations.length > 0 ? '\n' : ''}<table class="summary"><thead><tr><th>original → new</th><th>models</th><th>yours</th><th>mean drop (points)</th><th>linear slope [95% CI]</th><th>probit slope [95% CI]</th></tr></thead><tbody>
${summaryRows.join('\n')}
</tbody></table>
${sections.join('\n')}
<p class="note">Generated by retest. Plot specifications (Vega-Lite) and tables are in this folder beside the page.</p>
${scripts.map((code) => `<script>${code}</script>\n`).join('')}</body>
</html>
`;
}

const CLOUD_CSS = `.cloud-panel{margin-top:1.6em;padding-top:.4em;border-top:1px dashed #d9dee3}figure.cloud .interactive{display:none}figure.cloud.live .interactive{display:block}figure.cloud.live .static{display:none}
.vega-tip{position:absolute;z-index:10;max-width:460px;background:#fff;border:1px solid #9aa3ad;border-radius:3px;padding:.25em .5em;font-size:12px;pointer-events:none;box-shadow:0 1px 4px #0002}
.vega-bindings{margin:.3em 0;font-size:.9em}.vega-bindings input{font:inherit;padding:.1em .3em}table.yours-vs-cloud td{color:#b2361f;font-weight:600}`;
