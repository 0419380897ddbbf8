/**
 * The cloud panel's plot as a Vega-Lite spec: a published collection's models as a cloud of small
 * points with its fit and 95 % bootstrap band, the paper's models and fit for comparison, y = x,
 * and your models in red with error bars and labels. `interactiveCloudSpec` adds what only a
 * browser can use: pan/zoom on the scales and a "find a model" box that enlarges the matches.
 * Every point carries its model name as a tooltip (and, in the static SVG, as a <title>). Pure.
 */
import { lineBand } from '../analyze/index.ts';
import type { Comparison } from '../analyze/index.ts';
import type { CloudPanel } from './cloud-panel.ts';
import { pct } from './format.ts';
import { axisFor, COLORS, paddedDomain, position, round } from './scatter-spec.ts';
import type { Axes, VegaLiteSpec } from './types.ts';

export const CLOUD_COLORS = { cloud: '#3f8f74', cloudFit: '#1d6b52', cloudBand: '#a9d8c6', reference: '#7d8794', referenceFit: '#4d5560' } as const;

/** How a collection is named in legends and tables. */
export function collectionLabel(collection: string): string {
  return collection === 'recht2019' ? 'Recht et al. 2019' : collection;
}

export interface CloudSpecOptions {
  title: string;
  originalLabel: string;
  newLabel: string;
  axes: Axes;
  /** Points along x for the fit lines and band. Default 60. */
  gridPoints?: number;
  width?: number;
  height?: number;
}

interface Point {
  model: string;
  group: string;
  inFit: boolean;
  x: number;
  y: number;
  description: string;
}

function pointsOf(c: Comparison, axes: Axes, group: (i: number) => string | null, describe: (i: number) => string): Point[] {
  return c.analysis.models.flatMap((m, i) => {
    const g = group(i);
    return g === null
      ? []
      : [
          {
            model: m.model,
            group: g,
            inFit: c.inFit[i] ?? true,
            x: round(position(axes, m.original.accuracy)),
            y: round(position(axes, m.new.accuracy)),
            description: describe(i),
          },
        ];
  });
}

function fitLine(c: Comparison | null, axes: Axes, grid: number[], fromFitUnits: (v: number) => number): { x: number; y: number }[] {
  const fit = c?.analysis.fits[axes];
  return fit ? grid.map((x) => ({ x: round(fromFitUnits(x)), y: round(fromFitUnits(fit.slope * x + fit.intercept)) })) : [];
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a declarative Vega-Lite spec (one object literal)
export function cloudSpec(panel: CloudPanel, options: CloudSpecOptions): VegaLiteSpec {
  const axes = options.axes;
  const cloudName = collectionLabel(panel.collection);
  const referenceName = panel.referenceCollection ? collectionLabel(panel.referenceCollection) : null;
  const labels = {
    cloud: `${cloudName} (${panel.cloud.inFit.filter(Boolean).length} in fit)`,
    reference: referenceName ? `${referenceName} (${panel.reference?.inFit.filter(Boolean).length ?? 0} in fit)` : '',
    yours: 'yours',
  };
  const c = panel.cloud;
  const describe = (comparison: Comparison, who: string) => (i: number) => {
    const m = comparison.analysis.models[i]!;
    return `${m.model} (${who}${comparison.inFit[i] ? '' : ', not in fit'}): original ${pct(m.original.accuracy)}%, new ${pct(m.new.accuracy)}%, drop ${pct(m.gap)} points`;
  };
  const cloudPoints = pointsOf(c, axes, (i) => (c.sources[i] === 'store' ? null : labels.cloud), describe(c, cloudName));
  const referencePoints = panel.reference
    ? pointsOf(
        panel.reference,
        axes,
        (i) => (panel.reference!.sources[i] === 'store' ? null : labels.reference),
        describe(panel.reference, referenceName ?? ''),
      )
    : [];
  const yours = c.analysis.models.flatMap((m, i) => {
    if (c.sources[i] !== 'store') return [];
    const pos = panel.yours.find((y) => y.model === m.model);
    const under = (pos?.under ?? [])
      .map(
        (u) =>
          `effective robustness ${u.effectiveRobustness === null ? '—' : pct(u.effectiveRobustness)} points vs ${collectionLabel(u.collection)} (above ${u.percentile === null ? '—' : u.percentile.toFixed(1)}% of its models)`,
      )
      .join('; ');
    return [
      {
        model: m.model,
        group: labels.yours,
        inFit: false,
        x: round(position(axes, m.original.accuracy)),
        y: round(position(axes, m.new.accuracy)),
        xlo: round(position(axes, m.original.ci95[0])),
        xhi: round(position(axes, m.original.ci95[1])),
        ylo: round(position(axes, m.new.ci95[0])),
        yhi: round(position(axes, m.new.ci95[1])),
        description: `${m.model} (yours): original ${pct(m.original.accuracy)}% [${pct(m.original.ci95[0])}, ${pct(m.original.ci95[1])}], new ${pct(m.new.accuracy)}% [${pct(m.new.ci95[0])}, ${pct(m.new.ci95[1])}]; ${under}`,
      },
    ];
  });
  const all = [...cloudPoints, ...referencePoints];
  const xs = [...all.map((p) => p.x), ...yours.flatMap((p) => [p.xlo, p.xhi])];
  const ys = [...all.map((p) => p.y), ...yours.flatMap((p) => [p.ylo, p.yhi])];
  const xDomain = paddedDomain(xs, axes);
  const yDomain = paddedDomain(ys, axes);
  const n = options.gridPoints ?? 60;
  const toFitUnits = (v: number): number => (axes === 'linear' ? v / 100 : v);
  const fromFitUnits = (v: number): number => (axes === 'linear' ? v * 100 : v);
  const grid = Array.from({ length: n }, (_, i) => toFitUnits(xDomain[0] + ((xDomain[1] - xDomain[0]) * i) / (n - 1)));
  const lines = c.bootstrap[axes];
  const band = lines
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
  const groups = [labels.cloud, ...(referenceName ? [labels.reference] : []), labels.yours];
  const colors = [CLOUD_COLORS.cloud, ...(referenceName ? [CLOUD_COLORS.reference] : []), COLORS.store];
  const color = {
    field: 'group',
    type: 'nominal',
    scale: { domain: groups, range: colors },
    legend: { title: null, orient: 'bottom-right', symbolType: 'circle', labelLimit: 320 },
  };
  const cloudFit = c.analysis.fits[axes];
  const referenceFit = panel.reference?.analysis.fits[axes] ?? null;
  const subtitle = [`${cloudPoints.length} ${cloudName} models${cloudFit ? ` · fit slope ${cloudFit.slope.toFixed(2)}` : ''}`];
  if (referenceName) subtitle.push(`${referencePoints.length} ${referenceName} models${referenceFit ? ` · fit slope ${referenceFit.slope.toFixed(2)}` : ''}`);
  if (yours.length > 0) subtitle.push(`${yours.length} yours`);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title, subtitle: `${subtitle.join(' · ')} · ${axes} fits`, anchor: 'start' },
    width: options.width ?? 560,
    height: options.height ?? 460,
    config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { orient: 'bottom-right', fillColor: '#ffffffcc', padding: 6 } },
    layer: [
      {
        name: 'cloudband',
        data: { values: band },
        mark: { type: 'area', clip: true, color: CLOUD_COLORS.cloudBand, opacity: 0.5 },
        encoding: { x: { ...x }, y: { field: 'lower', type: 'quantitative', scale: y.scale }, y2: { field: 'upper' } },
      },
      {
        name: 'diagonal',
        data: { values: diagonal },
        mark: { type: 'line', clip: true, color: '#000000', strokeDash: [5, 4], strokeWidth: 1 },
        encoding: { x: { ...x }, y: { ...y } },
      },
      {
        name: 'cloud',
        data: { values: cloudPoints },
        mark: { type: 'circle', clip: true, size: 14, opacity: 0.55 },
        encoding: { x: { ...x }, y: { ...y }, color, description: { field: 'description' }, tooltip: { field: 'description' } },
      },
      {
        name: 'reference',
        data: { values: referencePoints },
        mark: { type: 'point', clip: true, size: 40, strokeWidth: 1.5, opacity: 1 },
        encoding: {
          x: { ...x },
          y: { ...y },
          color,
          fill: { condition: { test: 'datum.inFit', ...color }, value: '#ffffff' },
          description: { field: 'description' },
          tooltip: { field: 'description' },
        },
      },
      {
        name: 'referencefit',
        data: { values: fitLine(panel.reference, axes, grid, fromFitUnits) },
        mark: { type: 'line', clip: true, color: CLOUD_COLORS.referenceFit, strokeDash: [8, 3], strokeWidth: 2 },
        encoding: { x: { ...x }, y: { ...y } },
      },
      {
        name: 'cloudfit',
        data: { values: fitLine(c, axes, grid, fromFitUnits) },
        mark: { type: 'line', clip: true, color: CLOUD_COLORS.cloudFit, strokeWidth: 2.5 },
        encoding: { x: { ...x }, y: { ...y } },
      },
      {
        name: 'yourxerr',
        data: { values: yours },
        mark: { type: 'rule', clip: true, strokeWidth: 1.2, color: COLORS.store },
        encoding: { x: { field: 'xlo', type: 'quantitative', scale: x.scale }, x2: { field: 'xhi' }, y: { field: 'y', type: 'quantitative', scale: y.scale } },
      },
      {
        name: 'youryerr',
        data: { values: yours },
        mark: { type: 'rule', clip: true, strokeWidth: 1.2, color: COLORS.store },
        encoding: { x: { field: 'x', type: 'quantitative', scale: x.scale }, y: { field: 'ylo', type: 'quantitative', scale: y.scale }, y2: { field: 'yhi' } },
      },
      {
        name: 'yours',
        data: { values: yours },
        mark: { type: 'point', clip: true, size: 70, strokeWidth: 2, filled: true },
        encoding: { x: { ...x }, y: { ...y }, color, description: { field: 'description' }, tooltip: { field: 'description' } },
      },
      {
        name: 'yourlabels',
        data: { values: yours },
        mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 11, fontWeight: 'bold', color: COLORS.store },
        encoding: { x: { ...x }, y: { ...y }, text: { field: 'model' } },
      },
    ],
  };
}

/** The expression that is true for the models matching the "find a model" box. */
const FIND_TEST = "find != '' && indexof(lower(datum.model), lower(find)) >= 0";

/**
 * The same plot for a browser: drag to pan, wheel to zoom (both axes), double-click to reset, and a
 * text box that enlarges and outlines the models whose name contains what is typed.
 */
export function interactiveCloudSpec(spec: VegaLiteSpec): VegaLiteSpec {
  const layers = (spec.layer as Record<string, unknown>[]).map((layer) => {
    if (layer.name !== 'cloud' && layer.name !== 'reference') return layer;
    const encoding = layer.encoding as Record<string, unknown>;
    const base = layer.name === 'cloud' ? 14 : 40;
    return {
      ...layer,
      ...(layer.name === 'cloud' ? { params: [{ name: 'zoom', select: { type: 'interval', encodings: ['x', 'y'] }, bind: 'scales' }] } : {}),
      // A filled cloud point gets a black outline when it matches; a hollow reference point a thicker ring.
      ...(layer.name === 'cloud' ? { mark: { ...(layer.mark as Record<string, unknown>), stroke: '#000000' } } : {}),
      encoding: {
        ...encoding,
        size: { condition: { test: FIND_TEST, value: 160 }, value: base },
        strokeWidth: { condition: { test: FIND_TEST, value: layer.name === 'cloud' ? 1.5 : 3 }, value: layer.name === 'cloud' ? 0 : 1.5 },
        opacity: { condition: { test: FIND_TEST, value: 1 }, value: layer.name === 'cloud' ? 0.55 : 1 },
      },
    };
  });
  return {
    ...spec,
    params: [{ name: 'find', value: '', bind: { input: 'search', placeholder: 'e.g. resnet50', name: 'find a model: ' } }],
    layer: layers,
  };
}
