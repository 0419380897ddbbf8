/** A distance for people: 4 significant digits, exponent for large values. */
export function formatDistance(d: number): string {
  if (d === 0) return '0';
  if (Math.abs(d) >= 1e5 || Math.abs(d) < 1e-3) return d.toExponential(3);
  return Number(d.toPrecision(4)).toString();
}
