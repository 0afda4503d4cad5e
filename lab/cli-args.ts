/**
 * Argument parsing for `lab`: `--flag value`, `--flag=value`, boolean flags,
 * and a passthrough point after which every word belongs to the command run
 * (so `lab exec h1 ping -c 1` keeps ping's flags).
 */
import { LabError } from './lab.js';

export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: Map<string, string | true>;
}

/** Flags that take a value. Anything after `--` or after the passthrough point is positional. */
const VALUE_FLAGS = new Set(['lab', 'name', 'topo', 'custom', 'timeout', 'quiet', 'how', 'rate', 'duration', 'format', 'count']);

export function parseArgs(argv: readonly string[], passthroughAfter = Infinity): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (positional.length >= passthroughAfter || a === '--') {
      positional.push(...argv.slice(a === '--' ? i + 1 : i));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) flags.set(key, a.slice(eq + 1));
      else if (VALUE_FLAGS.has(key)) {
        if (i + 1 >= argv.length) throw new LabError(`--${key} needs a value`);
        flags.set(key, argv[++i]);
      } else flags.set(key, true);
    } else positional.push(a);
  }
  return { positional, flags };
}

