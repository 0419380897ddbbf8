/**
 * Accuracy by selection-frequency bin as a Vega-Lite line chart: one thin line per model and the
 * mean over models in bold. Pure.
 */
import type { FrequencySection, VegaLiteSpec } from './types.ts';

export function frequencySpec(section: FrequencySection, title: string): VegaLiteSpec {
  const binLabel = (lower: number, upper: number) => `${lower.toFixed(1)}–${upper.toFixed(1)}`;
  const order = section.bins.map((b) => binLabel(b.lower, b.upper));
  const perModel = section.bins.flatMap((b) =>
    b.accuracy.flatMap((a, m) =>
      a === null ? [] : [{ bin: binLabel(b.lower, b.upper), model: section.models[m] as string, accuracy: Number((a * 100).toFixed(3)), images: b.images }],
    ),
  );
  const mean = section.bins.flatMap((b) =>
    b.meanAccuracy === null
      ? []
      : [
          {
            bin: binLabel(b.lower, b.upper),
            accuracy: Number((b.meanAccuracy * 100).toFixed(3)),
            images: b.images,
            description: `${binLabel(b.lower, b.upper)}: mean accuracy ${(b.meanAccuracy * 100).toFixed(2)}% over ${section.models.length} models, ${b.images} images`,
          },
        ],
  );
  const x = { field: 'bin', type: 'ordinal', sort: order, title: `selection frequency (${section.testSet})`, axis: { labelAngle: 0 } };
  const y = { field: 'accuracy', type: 'quantitative', title: 'top-1 accuracy (%)', scale: { zero: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: `${section.models.length} models · bins of the fraction of annotators choosing the true class` },
    width: 420,
    height: 300,
    config: { font: 'sans-serif' },
    layer: [
      {
        name: 'models',
        data: { values: perModel },
        mark: { type: 'line', strokeWidth: 1, opacity: 0.45, color: '#8c96a3' },
        encoding: { x, y, detail: { field: 'model', type: 'nominal' } },
      },
      {
        name: 'mean',
        data: { values: mean },
        mark: { type: 'line', strokeWidth: 3, color: '#d6452b', point: { filled: true, size: 50, color: '#d6452b' } },
        encoding: { x, y, description: { field: 'description' }, tooltip: { field: 'description' } },
      },
    ],
  };
}
