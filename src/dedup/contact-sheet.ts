/**
 * A contact sheet of the closest pairs for a person to look at: one self-contained HTML file with
 * each pair's two images (inline PNG) side by side, the distance and both records.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodePng } from '../formats/index.ts';
import type { ImageSource } from './image-source.ts';
import { formatDistance } from './format-distance.ts';
import { escapeHtml } from '../core/html.ts';

/** One pair on the sheet. */
export interface SheetPair {
  query: number;
  set: number;
  reference: number;
  distance: number;
}

/** The sheet's HTML, given each image already as a PNG data URI. */
export function renderContactSheet(input: {
  title: string;
  subtitle: string;
  pairs: { queryLabel: string; referenceLabel: string; distance: number; queryUri: string; referenceUri: string }[];
}): string {
  const cells = input.pairs
    .map(
      (p, i) => `<div class="pair"><div class="rank">#${i + 1} · ${formatDistance(p.distance)}</div>
<img src="${p.queryUri}" alt=""><img src="${p.referenceUri}" alt="">
<div class="ids">${escapeHtml(p.queryLabel)}<br>${escapeHtml(p.referenceLabel)}</div></div>`,
    )
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<style>body{font:13px system-ui,sans-serif;margin:1rem}.grid{display:flex;flex-wrap:wrap;gap:.6rem}
.pair{border:1px solid #ccc;border-radius:4px;padding:.3rem;width:204px}.pair img{width:96px;height:96px;image-rendering:pixelated;margin-right:4px}
.rank{font-weight:600}.ids{font-size:11px;color:#555;word-break:break-all}</style></head>
<body><h1>${escapeHtml(input.title)}</h1><p>${escapeHtml(input.subtitle)}</p><div class="grid">
${cells}
</div></body></html>
`;
}

/** Encodes the images of `pairs` and writes the sheet to `file`. */
export async function writeContactSheet(
  file: string,
  title: string,
  subtitle: string,
  queries: ImageSource,
  references: ImageSource[],
  pairs: SheetPair[],
): Promise<void> {
  const uri = async (source: ImageSource, index: number) => {
    const b = await source.read(index, 1);
    const png = await encodePng({ data: b.pixels, width: b.width, height: b.height });
    return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
  };
  const label = (source: ImageSource, index: number) => `${source.name}:${source.ids ? source.ids[index] : index}`;
  const rendered = [];
  for (const p of pairs) {
    const ref = references[p.set] as ImageSource;
    rendered.push({
      queryLabel: label(queries, p.query),
      referenceLabel: label(ref, p.reference),
      distance: p.distance,
      queryUri: await uri(queries, p.query),
      referenceUri: await uri(ref, p.reference),
    });
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderContactSheet({ title, subtitle, pairs: rendered }));
}

/**
 * The closest distinct pairs over all queries' first neighbours: each unordered pair once when a
 * set is searched against itself, closest first.
 */
export function closestPairs(neighbours: { set: number; index: number; distance: number }[][], selfSets: number[], limit: number): SheetPair[] {
  const seen = new Set<string>();
  const all: SheetPair[] = [];
  for (const [q, list] of neighbours.entries()) {
    for (const n of list) {
      if (selfSets.includes(n.set)) {
        const key = `${n.set}:${Math.min(q, n.index)}:${Math.max(q, n.index)}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      all.push({ query: q, set: n.set, reference: n.index, distance: n.distance });
    }
  }
  return all.sort((a, b) => a.distance - b.distance || a.query - b.query || a.set - b.set || a.reference - b.reference).slice(0, limit);
}
