/**
 * Seeded randomness. Every sampler, shuffle and bootstrap takes an `Rng` built from a recorded seed,
 * so the same inputs and seed give the same output on every machine and Node version.
 *
 * Generator: xoshiro128** (32-bit state words, exact in JS integer arithmetic), seeded through
 * splitmix32 from a 32-bit integer seed or a string (hashed with FNV-1a).
 */

export interface Rng {
  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number;
  /** Uniform integer in [0, n). `n` must be a positive integer ≤ 2^32. */
  int(n: number): number;
  /** The seed this generator was built from. */
  readonly seed: number;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Hashes a string seed to 32 bits (FNV-1a) so seeds like "cifar10h-demo" are accepted. */
export function seedFromString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function createRng(seed: number | string): Rng {
  const numericSeed = typeof seed === 'string' ? seedFromString(seed) : seed >>> 0;
  const init = splitmix32(numericSeed);
  let a = init(),
    b = init(),
    c = init(),
    d = init();
  if ((a | b | c | d) === 0) a = 1;
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  return {
    seed: numericSeed,
    next: () => nextUint32() / 4294967296,
    int(n: number): number {
      if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new RangeError(`rng.int: n must be a positive integer ≤ 2^32, got ${n}`);
      // Rejection sampling removes modulo bias.
      const limit = 4294967296 - (4294967296 % n);
      let x = nextUint32();
      while (x >= limit) x = nextUint32();
      return x % n;
    },
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Fisher–Yates shuffle of a copy of `items`. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}

/** `count` distinct items drawn uniformly without replacement, in draw order. */
export function sampleWithoutReplacement<T>(items: readonly T[], count: number, rng: Rng): T[] {
  if (count > items.length) throw new RangeError(`cannot draw ${count} of ${items.length} items`);
  const pool = items.slice();
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(pool.length - i);
    const tmp = pool[i] as T;
    pool[i] = pool[j] as T;
    pool[j] = tmp;
  }
  return pool.slice(0, count);
}
