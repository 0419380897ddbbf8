/**
 * Renders a Vega-Lite spec to SVG in Node (vega's headless View, renderer 'none'), then makes the
 * SVG stable and self-describing: numbers rounded to 2 decimals (snapshots do not churn), clip-path
 * ids prefixed (several SVGs can share one HTML page), and each point's description turned into
 * a <title> so browsers show it on hover. vega and vega-lite are loaded lazily.
 */
import type { VegaLiteSpec } from './types.ts';

export async function renderSvg(spec: VegaLiteSpec, idPrefix = 'plot'): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return tidySvg(await view.toSVG(), idPrefix);
  } finally {
    view.finalize();
  }
}

const escapeXml = (s: string): string => s.replace(/&(?!(amp|lt|gt|quot|#\d+);)/g, '&amp;').replace(/</g, '&lt;');

export function tidySvg(svg: string, idPrefix: string): string {
  // vega numbers clip paths with a process-wide counter: renumber them 1, 2, … in order of use.
  const clipIds = new Map<string, number>();
  for (const m of svg.matchAll(/url\(#(clip\d+)\)|id="(clip\d+)"/g)) {
    const id = (m[1] ?? m[2]) as string;
    if (!clipIds.has(id)) clipIds.set(id, clipIds.size + 1);
  }
  return svg
    .replace(/id="(clip\d+)"/g, (_m, id: string) => `id="${idPrefix}-clip${clipIds.get(id)}"`)
    .replace(/url\(#(clip\d+)\)/g, (_m, id: string) => `url(#${idPrefix}-clip${clipIds.get(id)})`)
    .replace(/-?\d+\.\d{3,}(?:e-?\d+)?/g, (m) => {
      const v = Number(Number(m).toFixed(2));
      return String(Object.is(v, -0) ? 0 : v);
    })
    .replace(
      /<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="(point|circle|symbol)"([^>]*?)\/>/g,
      (_m, label: string, role: string, rest: string) =>
        `<path aria-label="${label}" role="graphics-symbol" aria-roledescription="${role}"${rest}><title>${escapeXml(label)}</title></path>`,
    );
}
