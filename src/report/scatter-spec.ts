/**
 * The Figure-1-style scatter of new vs original accuracy as a Vega-Lite spec: one point per model
 * with Clopper–Pearson error bars on both axes, y = x, the OLS fit and its pointwise 95 %
 * bootstrap band. The user's own models are drawn in a strong colour and labelled; the published
 * cloud in grey; models kept out of the fit are hollow. Pure: a Comparison in, JSON out.
 */
import { lineBand, toScale } from '../analyze/index.ts';
import type { Comparison } from '../analyze/index.ts';
import { pct } from './format.ts';
import type { Axes, VegaLiteSpec } from './types.ts';

export const COLORS = { published: '#8c96a3', store: '#d6452b', fit: '#1f5fa8', band: '#9ec3ea' } as const;
const SOURCE_LABEL = { published: 'published (Recht et al. 2019)', store: 'yours (evaluated or imported)' } as const;

export const round = (v: number, digits = 4): number => Number(v.toFixed(digits));

/** Where an accuracy goes on the axis: percent, or Φ⁻¹(accuracy). */
export function position(axes: Axes, accuracy: number): number {
  return axes === 'linear' ? accuracy * 100 : toScale('probit', accuracy);
}

/** Tick accuracies for probit axes inside [lo, hi] (accuracies as fractions). */
const PROBIT_TICKS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999];

export function axisFor(axes: Axes, title: string, lo: number, hi: number): Record<string, unknown> {
  if (axes === 'linear') return { title, tickCount: 8, grid: true };
  const ticks = PROBIT_TICKS.filter((a) => toScale('probit', a) >= lo && toScale('probit', a) <= hi);
  const values = ticks.map((a) => round(toScale('probit', a), 6));
  // Label each probit tick with its accuracy in percent.
  const labelExpr = ticks.reduceRight((acc, a, i) => `abs(datum.value - (${values[i]})) < 1e-4 ? '${Number((a * 100).toFixed(1))}' : ${acc}`, "''");
  return { title, values, labelExpr, grid: true };
}

export function paddedDomain(values: number[], axes: Axes): [number, number] {
  const lo = Math.min(...values),
    hi = Math.max(...values);
  const pad = Math.max((hi - lo) * 0.04, axes === 'linear' ? 0.5 : 0.02);
  if (axes === 'linear') return [Math.max(0, Math.floor(lo - pad)), Math.min(100, Math.ceil(hi + pad))];
  return [round(lo - pad, 3), round(hi + pad, 3)];
}

export interface ScatterOptions {
  title: string;
  originalLabel: string;
  newLabel: string;
  axes: Axes;
  /** Points along x for the fit line and band. Default 60. */
  gridPoints?: number;
  width?: number;
  height?: number;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a declarative Vega-Lite spec (one object literal)
export function scatterSpec(comparison: Comparison, options: ScatterOptions): VegaLiteSpec {
  const { analysis } = comparison;
  const axes = options.axes;
  const fitScale = axes; // the line drawn is the fit in the plotted scale, so it is straight
  const points = analysis.models.map((m, i) => {
    const source = comparison.sources[i] === 'store' ? 'store' : 'published';
    const inFit = comparison.inFit[i] ?? true;
    return {
      model: m.model,
      source: SOURCE_LABEL[source],
      inFit,
      x: round(position(axes, m.original.accuracy)),
      y: round(position(axes, m.new.accuracy)),
      xlo: round(position(axes, m.original.ci95[0])),
      xhi: round(position(axes, m.original.ci95[1])),
      ylo: round(position(axes, m.new.ci95[0])),
      yhi: round(position(axes, m.new.ci95[1])),
      description:
        `${m.model} (${source === 'store' ? 'yours' : 'published'}${inFit ? '' : ', not in fit'}): ` +
        `original ${pct(m.original.accuracy)}% [${pct(m.original.ci95[0])}, ${pct(m.original.ci95[1])}], ` +
        `new ${pct(m.new.accuracy)}% [${pct(m.new.ci95[0])}, ${pct(m.new.ci95[1])}], drop ${pct(m.gap)} points`,
    };
  });
  const xDomain =
    points.length > 0
      ? paddedDomain(
          points.flatMap((p) => [p.xlo, p.xhi]),
          axes,
        )
      : axes === 'linear'
        ? ([0, 100] as [number, number])
        : ([-3, 3] as [number, number]);
  const yDomain =
    points.length > 0
      ? paddedDomain(
          points.flatMap((p) => [p.ylo, p.yhi]),
          axes,
        )
      : xDomain;
  const n = options.gridPoints ?? 60;
  const toFitUnits = (v: number): number => (axes === 'linear' ? v / 100 : v);
  const fromFitUnits = (v: number): number => (axes === 'linear' ? v * 100 : v);
  const grid = Array.from({ length: n }, (_, i) => toFitUnits(xDomain[0] + ((xDomain[1] - xDomain[0]) * i) / (n - 1)));
  const fit = analysis.fits[fitScale];
  const lines = comparison.bootstrap[fitScale];
  const fitData = fit ? grid.map((x) => ({ x: round(fromFitUnits(x)), y: round(fromFitUnits(fit.slope * x + fit.intercept)) })) : [];
  const bandData = lines
    ? lineBand(lines, grid).map((b) => ({ x: round(fromFitUnits(b.x)), lower: round(fromFitUnits(b.lower)), upper: round(fromFitUnits(b.upper)) }))
    : [];
  const lo = Math.max(xDomain[0], yDomain[0]),
    hi = Math.min(xDomain[1], yDomain[1]);
  const diagonal =
    lo < hi
      ? [
          { x: round(lo), y: round(lo) },
          { x: round(hi), y: round(hi) },
        ]
      : [];
  const x = {
    field: 'x',
    type: 'quantitative',
    scale: { domain: xDomain, zero: false, nice: false },
    axis: axisFor(axes, `${options.originalLabel} accuracy (%)`, xDomain[0], xDomain[1]),
  };
  const y = {
    field: 'y',
    type: 'quantitative',
    scale: { domain: yDomain, zero: false, nice: false },
    axis: axisFor(axes, `${options.newLabel} accuracy (%)`, yDomain[0], yDomain[1]),
  };
  const fitLabel = fit ? `${axes === 'linear' ? 'linear' : 'probit'} fit: slope ${fit.slope.toFixed(2)}` : 'no fit';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title, subtitle: `${points.length} models · ${fitLabel} · 95% bootstrap band`, anchor: 'start' },
    width: options.width ?? 460,
    height: options.height ?? 400,
    config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { orient: 'bottom-right', fillColor: '#ffffffcc', padding: 6 } },
    layer: [
      {
        name: 'band',
        data: { values: bandData },
        mark: { type: 'area', clip: true, color: COLORS.band, opacity: 0.45 },
        encoding: { x: { ...x }, y: { field: 'lower', type: 'quantitative', scale: y.scale }, y2: { field: 'upper' } },
      },
      {
        name: 'diagonal',
        data: { values: diagonal },
        mark: { type: 'line', clip: true, color: '#000000', strokeDash: [5, 4], strokeWidth: 1 },
        encoding: { x: { ...x }, y: { ...y } },
      },
      { name: 'fit', data: { values: fitData }, mark: { type: 'line', clip: true, color: COLORS.fit, strokeWidth: 2 }, encoding: { x: { ...x }, y: { ...y } } },
      {
        name: 'xerr',
        data: { values: points },
        mark: { type: 'rule', clip: true, strokeWidth: 1, opacity: 0.6 },
        encoding: {
          x: { field: 'xlo', type: 'quantitative', scale: x.scale },
          x2: { field: 'xhi' },
          y: { field: 'y', type: 'quantitative', scale: y.scale },
          color: { field: 'source', type: 'nominal', scale: { domain: [SOURCE_LABEL.published, SOURCE_LABEL.store], range: [COLORS.published, COLORS.store] } },
        },
      },
      {
        name: 'yerr',
        data: { values: points },
        mark: { type: 'rule', clip: true, strokeWidth: 1, opacity: 0.6 },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: x.scale },
          y: { field: 'ylo', type: 'quantitative', scale: y.scale },
          y2: { field: 'yhi' },
          color: { field: 'source', type: 'nominal', scale: { domain: [SOURCE_LABEL.published, SOURCE_LABEL.store], range: [COLORS.published, COLORS.store] } },
        },
      },
      {
        name: 'points',
        data: { values: points },
        mark: { type: 'point', size: 46, strokeWidth: 1.5, opacity: 1 },
        encoding: {
          x: { ...x },
          y: { ...y },
          color: {
            field: 'source',
            type: 'nominal',
            legend: { title: null, orient: 'bottom-right', symbolType: 'circle', labelLimit: 320 },
            scale: { domain: [SOURCE_LABEL.published, SOURCE_LABEL.store], range: [COLORS.published, COLORS.store] },
          },
          fill: {
            condition: {
              test: 'datum.inFit',
              field: 'source',
              type: 'nominal',
              legend: { title: null, orient: 'bottom-right', symbolType: 'circle', labelLimit: 320 },
              scale: { domain: [SOURCE_LABEL.published, SOURCE_LABEL.store], range: [COLORS.published, COLORS.store] },
            },
            value: '#ffffff',
          },
          description: { field: 'description' },
          tooltip: { field: 'description' },
        },
      },
      {
        name: 'labels',
        data: { values: points.filter((p) => p.source === SOURCE_LABEL.store) },
        mark: { type: 'text', align: 'left', dx: 5, dy: -5, fontSize: 10, color: COLORS.store },
        encoding: { x: { ...x }, y: { ...y }, text: { field: 'model' } },
      },
    ],
  };
}
