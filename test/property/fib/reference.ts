/**
 * The plain oracle the LPM structures are checked against: one Map per prefix
 * length, longest match found by scanning lengths from longest to shortest.
 * Addresses as arrays of unsigned 32-bit words (1 for IPv4, 4 for IPv6).
 */
export class ReferenceLpm {
  private readonly byLen: Map<string, number>[] = [];
  constructor(readonly words: number) {
    for (let l = 0; l <= words * 32; l++) this.byLen.push(new Map());
  }

  static mask(words: readonly number[], len: number): number[] {
    return words.map((w, i) => {
      const bits = len - i * 32;
      if (bits >= 32) return w >>> 0;
      if (bits <= 0) return 0;
      return (w & (0xffffffff << (32 - bits))) >>> 0;
    });
  }

  insert(words: readonly number[], len: number, value: number): void {
    this.byLen[len].set(ReferenceLpm.mask(words, len).join('.'), value);
  }

  remove(words: readonly number[], len: number): boolean {
    return this.byLen[len].delete(ReferenceLpm.mask(words, len).join('.'));
  }

  lookup(words: readonly number[]): number {
    for (let l = this.words * 32; l >= 0; l--) {
      const v = this.byLen[l].get(ReferenceLpm.mask(words, l).join('.'));
      if (v !== undefined) return v;
    }
    return -1;
  }

  matches(words: readonly number[]): Array<{ len: number; value: number }> {
    const out: Array<{ len: number; value: number }> = [];
    for (let l = 0; l <= this.words * 32; l++) {
      const v = this.byLen[l].get(ReferenceLpm.mask(words, l).join('.'));
      if (v !== undefined) out.push({ len: l, value: v });
    }
    return out;
  }

  get size(): number {
    return this.byLen.reduce((a, m) => a + m.size, 0);
  }
}
