/**
 * `make bench`: runs every benchmark of the project in turn, each in its own
 * Node process (so one's heap does not colour the next's memory figures).
 * Each prints ratios against a baseline measured in the same run.
 *
 *   node --expose-gc dist/bench/run.js [NAME...] [--quick]
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const here = dirname(fileURLToPath(import.meta.url));
const ALL = ['fib', 'fib-processes', 'bgp-fuzz', 'bgp-rib', 'frame-io', 'lab-bringup', 'bgp-propagation', 'forwarding', 'failover'];

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const names = args.filter((a) => !a.startsWith('--'));
  const passthrough = args.filter((a) => a.startsWith('--'));
  let failed = 0;
  for (const name of names.length ? names : ALL) {
    const file = join(here, `${name}.js`);
    if (!existsSync(file)) {
      if (names.length) {
        process.stderr.write(`bench: no benchmark named ${name}\n`);
        failed++;
      }
      continue;
    }
    process.stdout.write(`\n=== bench ${name} ===\n`);
    const r = await execa(process.execPath, ['--expose-gc', file, ...passthrough], { stdio: 'inherit', reject: false });
    if (r.exitCode !== 0) failed++;
  }
  return failed ? 1 : 0;
}

main().then((c) => process.exit(c));
