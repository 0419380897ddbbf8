/**
 * Selection-frequency histograms for the dashboard (DESIGN §1.4, §1.6): the five bins
 * [0,.2) [.2,.4) [.4,.6) [.6,.8) [.8,1.0] as an inline SVG, candidates next to the class's
 * reference (original test set) distribution. Pure: numbers in, markup out, rounded for snapshots.
 */
import { html, type SafeHtml } from '../core/html.ts';

import { FREQUENCY_BIN_LABELS as FREQUENCY_BINS } from '../core/frequency-bins.ts';

/** Bars as fractions of each histogram's total (empty histogram → all zero). */
function fractions(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total === 0 ? 0 : c / total));
}

const round = (x: number) => Math.round(x * 10) / 10;

/**
 * Two histograms side by side in one SVG, each bar normalised to its histogram's total so the
 * shapes compare; the counts are printed on the bars. `label` names the class for screen readers.
 */
export function histogramSvg(label: string, candidates: readonly number[], reference: readonly number[]): SafeHtml {
  const width = 260;
  const height = 90;
  const top = 12;
  const plot = height - top - 16;
  const group = width / 5;
  const bar = (group - 8) / 2;
  const c = fractions(candidates);
  const r = fractions(reference);
  const bars = FREQUENCY_BINS.map((bin, i) => {
    const x0 = i * group + 4;
    const hc = round(c[i]! * plot);
    const hr = round(r[i]! * plot);
    return html`<g><rect class="bar-candidate" x="${round(x0)}" y="${round(top + plot - hc)}" width="${round(bar)}" height="${hc}" fill="#1a56db"><title>candidates ${bin}: ${candidates[i] ?? 0}</title></rect><rect class="bar-reference" x="${round(x0 + bar)}" y="${round(top + plot - hr)}" width="${round(bar)}" height="${hr}" fill="#f29d38"><title>reference ${bin}: ${reference[i] ?? 0}</title></rect><text x="${round(x0 + bar)}" y="${height - 3}" text-anchor="middle">${bin}</text><text x="${round(x0 + bar / 2)}" y="${round(top + plot - hc - 2)}" text-anchor="middle">${candidates[i] ?? 0}</text><text x="${round(x0 + 1.5 * bar)}" y="${round(top + plot - hr - 2)}" text-anchor="middle">${reference[i] ?? 0}</text></g>`;
  });
  return html`<svg class="hist" role="img" aria-label="${`selection frequencies of ${label}: candidates (blue) ${candidates.join(',')}; reference (orange) ${reference.join(',')}`}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" data-candidates="${candidates.join(',')}" data-reference="${reference.join(',')}">${bars}</svg>`;
}
