// Locating the native addon from src/ (vitest) and dist/ (built) alike.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonPath, packageRoot } from '../../../src/dataplane/linux-frame-io.js';

describe('addon location', () => {
  it('finds the package root above src/ and above dist/src/', () => {
    const root = mkdtempSync(join(tmpdir(), 'fio-root-'));
    writeFileSync(join(root, 'package.json'), '{}');
    mkdirSync(join(root, 'src', 'dataplane'), { recursive: true });
    mkdirSync(join(root, 'dist', 'src', 'dataplane'), { recursive: true });
    expect(packageRoot(join(root, 'src', 'dataplane'))).toBe(root);
    expect(packageRoot(join(root, 'dist', 'src', 'dataplane'))).toBe(root);
  });

  it('throws when no package.json is above', () => {
    expect(() => packageRoot('/')).toThrow(/no package.json above \//);
  });

  it('points at build/Release/frameio.node of this package', () => {
    expect(addonPath()).toBe(join(packageRoot(), 'build', 'Release', 'frameio.node'));
    expect(packageRoot()).toBe(join(import.meta.dirname, '..', '..', '..'));
  });
});
