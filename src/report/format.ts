/** Number formatting shared by tables, titles and the HTML page (fixed decimals, so output is stable). */
export const pct = (fraction: number, digits = 2): string => (fraction * 100).toFixed(digits);
export const fixed = (value: number | null | undefined, digits = 3): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
export const interval = (ci: readonly [number, number] | null | undefined, digits = 3): string =>
  ci ? `[${ci[0].toFixed(digits)}, ${ci[1].toFixed(digits)}]` : '—';
export const pctInterval = (ci: readonly [number, number]): string => `[${pct(ci[0])}, ${pct(ci[1])}]`;
export const slugOf = (original: string, newSet: string): string => `${original}__${newSet}`.replace(/[^A-Za-z0-9._-]+/g, '_');
