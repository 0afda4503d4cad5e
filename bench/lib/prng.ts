/**
 * A small seeded PRNG (mulberry32) so that every synthetic table and address
 * list of the benchmarks is the same on every run.
 */
export type Rng = () => number;

/** Uniform in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform unsigned 32-bit integer. */
export function u32(rng: Rng): number {
  return (rng() * 4294967296) >>> 0;
}

export function intBelow(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}
