/**
 * The three scales in which new-vs-original accuracy is fitted. Probit (Φ⁻¹) is the paper's
 * choice: the trend is closest to linear there. Accuracies of exactly 0 or 1 would map to ±∞, so
 * they are clamped to [ε, 1 − ε] with ε = 1e-6 before transforming.
 */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import type { Scale } from './types.ts';

export const SCALES: readonly Scale[] = ['linear', 'probit', 'logit'];

const EPS = 1e-6;
const clamp = (a: number): number => (a < EPS ? EPS : a > 1 - EPS ? 1 - EPS : a);

/** Standard normal CDF (erfc-based, accurate to ~1e-15 relative in the body). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

// erfc by W. J. Cody's rational approximations (as in many libm implementations), |error| < 1e-15.
function erfc(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 0.5) {
    const t = x * x;
    const p = (((0.185777706184603153 * t + 3.1611237438705656) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
    const q = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
    return 1 - (x * p) / q;
  }
  if (ax < 4) {
    const p =
      (((((((2.15311535474403846e-8 * ax + 0.564188496988670089) * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax + 298.635138197400131) * ax +
        881.95222124176909) *
        ax +
        1712.04761263407058) *
        ax +
        2051.07837782607147) *
        ax +
      1230.33935479799725;
    const q =
      (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax + 3290.79923573345963) * ax +
        4362.61909014324716) *
        ax +
        3439.36767414372164) *
        ax +
      1230.33935480374942;
    r = (Math.exp(-ax * ax) * p) / q;
  } else {
    const z = 1 / (ax * ax);
    const p =
      ((((0.0163153871373020978 * z + 0.305326634961232344) * z + 0.360344899949804439) * z + 0.125781726111229246) * z + 0.0160837851487422766) * z +
      6.58749161529837803e-4;
    const q = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 0.527905102951428412) * z + 0.0605183413124413191) * z + 0.00233520497626869185;
    r = (Math.exp(-ax * ax) / ax) * (0.564189583547756287 - (z * p) / q);
  }
  return x < 0 ? 2 - r : r;
}

/** Maps an accuracy into the scale. */
export function toScale(scale: Scale, accuracy: number): number {
  switch (scale) {
    case 'linear':
      return accuracy;
    case 'probit':
      return normalQuantile(clamp(accuracy), 0, 1);
    case 'logit': {
      const a = clamp(accuracy);
      return Math.log(a / (1 - a));
    }
  }
}

/** Maps a value of the scale back to an accuracy. */
export function fromScale(scale: Scale, value: number): number {
  switch (scale) {
    case 'linear':
      return value;
    case 'probit':
      return normalCdf(value);
    case 'logit':
      return 1 / (1 + Math.exp(-value));
  }
}

export function isScale(value: string): value is Scale {
  return (SCALES as readonly string[]).includes(value);
}
