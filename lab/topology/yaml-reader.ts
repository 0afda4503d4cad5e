/**
 * Reading a YAML document with every value tied to its line.
 *
 * Owns: walking `yaml`'s document tree (parseDocument + LineCounter), typed
 * accessors that record an error (file, line, field) instead of throwing, and
 * the unknown-key check used at every level of a topology file.
 *
 * Not here: what the keys mean (load.ts).
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { Locator } from './spec.js';
import type { TopologyError } from './types.js';

export type Y = YamlNode | null | undefined;

export interface Entry { readonly key: string; readonly keyNode: Y; readonly value: Y; readonly field: string }

export class YamlReader {
  readonly errors: TopologyError[] = [];
  readonly doc: Document;
  private readonly lc = new LineCounter();

  constructor(text: string, readonly loc: Locator) {
    this.doc = parseDocument(text, { lineCounter: this.lc, prettyErrors: false, uniqueKeys: true });
    for (const e of [...this.doc.errors]) {
      const line = e.linePos?.[0]?.line ?? this.lc.linePos(e.pos[0]).line;
      this.errors.push({ file: loc.file, line, field: '(yaml)', message: e.message.split('\n')[0] });
    }
  }

  get root(): Y { return this.resolve(this.doc.contents as Y); }

  resolve(n: Y): Y {
    let node = n;
    for (let i = 0; i < 32 && node && isAlias(node); i++) node = node.resolve(this.doc) as Y;
    return node;
  }

  line(n: Y): number {
    const r = n?.range;
    return r ? this.lc.linePos(r[0]).line : 1;
  }

  /** Remember where `field` is, then return the node. */
  mark(field: string, n: Y): Y {
    this.loc.set(field, this.line(n));
    return n;
  }

  err(field: string, message: string, at?: Y): void {
    const line = at ? this.line(at) : this.loc.line(field);
    this.errors.push({ file: this.loc.file, line, field: field || '(document)', message });
  }

  isNull(n: Y): boolean {
    const node = this.resolve(n);
    return !node || (isScalar(node) && node.value === null);
  }

  isMap(n: Y): boolean { return isMap(this.resolve(n)); }
  isSeq(n: Y): boolean { return isSeq(this.resolve(n)); }

  /** Entries of a mapping, or an error when `n` is not one. Keys must be scalars. */
  entries(n: Y, field: string): Entry[] | undefined {
    const node = this.resolve(n);
    if (!isMap(node)) {
      this.err(field, `expected a mapping (key: value), got ${describe(node)}`, node ?? undefined);
      return undefined;
    }
    const out: Entry[] = [];
    for (const pair of node.items) {
      const keyNode = this.resolve(pair.key as Y);
      if (!isScalar(keyNode) || (typeof keyNode.value !== 'string' && typeof keyNode.value !== 'number')) {
        this.err(field, `keys must be plain names`, keyNode ?? node);
        continue;
      }
      const key = String(keyNode.value);
      const sub = /^[A-Za-z_][\w-]*$/.test(key) ? `${field}${field ? '.' : ''}${key}` : `${field}[${JSON.stringify(key)}]`;
      this.loc.set(sub, this.line(keyNode));
      out.push({ key, keyNode, value: pair.value as Y, field: sub });
    }
    return out;
  }

  /** Error for every key not in `allowed`. */
  checkKeys(entries: readonly Entry[], allowed: readonly string[], what: string): void {
    for (const e of entries) {
      if (!allowed.includes(e.key)) {
        const hint = closest(e.key, allowed);
        this.err(e.field, `unknown key '${e.key}' in ${what}${hint ? ` (did you mean '${hint}'?)` : ''}; allowed: ${allowed.join(', ')}`, e.keyNode);
      }
    }
  }

  items(n: Y, field: string): { value: Y; field: string }[] | undefined {
    const node = this.resolve(n);
    if (!isSeq(node)) {
      this.err(field, `expected a list, got ${describe(node)}`, node ?? undefined);
      return undefined;
    }
    return node.items.map((v, i) => {
      const f = `${field}[${i}]`;
      this.mark(f, v as Y);
      return { value: v as Y, field: f };
    });
  }

  /** A list, or a single scalar taken as a one-element list. */
  itemsOrOne(n: Y, field: string): { value: Y; field: string }[] | undefined {
    if (this.isSeq(n)) return this.items(n, field);
    this.mark(field, n);
    return [{ value: n, field }];
  }

  scalar(n: Y): unknown {
    const node = this.resolve(n);
    return isScalar(node) ? node.value : undefined;
  }

  string(n: Y, field: string): string | undefined {
    const v = this.scalar(n);
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && isScalar(this.resolve(n))) return String(v);
    this.err(field, `expected text, got ${describe(this.resolve(n))}`, n ?? undefined);
    return undefined;
  }

  bool(n: Y, field: string): boolean | undefined {
    const v = this.scalar(n);
    if (typeof v === 'boolean') return v;
    this.err(field, `expected true or false, got ${describe(this.resolve(n))}`, n ?? undefined);
    return undefined;
  }

  /** Apply a checker to a scalar; record its error at the scalar's line. */
  check<T>(n: Y, field: string, fn: (v: unknown) => { ok: true; value: T } | { ok: false; error: string }): T | undefined {
    const node = this.resolve(n);
    if (node && !isScalar(node)) {
      this.err(field, `expected a single value, got ${describe(node)}`, node);
      return undefined;
    }
    const r = fn(this.scalar(node));
    if (r.ok) return r.value;
    this.err(field, r.error, node ?? undefined);
    return undefined;
  }
}

function describe(n: Y): string {
  if (!n) return 'nothing';
  if (isMap(n)) return 'a mapping';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) return n.value === null ? 'nothing' : `'${String(n.value)}'`;
  return 'something else';
}

/** The allowed word within edit distance 2 of `word`, if any. */
function closest(word: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const a of allowed) {
    const d = editDistance(word, a);
    if (d < bestD) { bestD = d; best = a; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
