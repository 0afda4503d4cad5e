/**
 * Watches the namespace's interfaces through rtnetlink link events, read
 * from `ip monitor link` (one long-lived process). An interface counts as up
 * when it is administratively UP and has carrier (LOWER_UP, no NO-CARRIER):
 * setting the far end of a veth down drops our carrier, and that is reported
 * here at once.
 */
import { execa, type ResultPromise } from 'execa';

export interface LinkState {
  readonly name: string;
  readonly up: boolean;
}

/** Parses one header line of `ip monitor link` / `ip link show` output. */
export function parseLinkLine(line: string): LinkState | undefined {
  const m = /^(?:Deleted\s+)?\d+:\s+([^:@\s]+)(?:@[^:\s]+)?:\s+<([^>]*)>/.exec(line);
  if (!m) return undefined;
  const flags = new Set(m[2].split(','));
  const deleted = line.startsWith('Deleted');
  const up = !deleted && flags.has('UP') && flags.has('LOWER_UP') && !flags.has('NO-CARRIER');
  return { name: m[1], up };
}

export class LinkMonitor {
  private proc?: ResultPromise;
  private buf = '';
  private readonly state = new Map<string, boolean>();

  constructor(private readonly onChange: (s: LinkState) => void) {}

  /** Reads the current state, then follows changes. */
  async start(): Promise<Map<string, boolean>> {
    this.proc = execa('ip', ['monitor', 'link'], { stdout: 'pipe', stderr: 'ignore', reject: false, buffer: false });
    this.proc.stdout?.setEncoding('utf8');
    this.proc.stdout?.on('data', (chunk: string) => this.onData(chunk));
    const r = await execa('ip', ['link', 'show']);
    for (const line of String(r.stdout).split('\n')) {
      const s = parseLinkLine(line);
      if (s) this.state.set(s.name, s.up);
    }
    return new Map(this.state);
  }

  isUp(name: string): boolean {
    return this.state.get(name) ?? false;
  }

  stop(): void {
    this.proc?.kill();
    this.proc = undefined;
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const s = parseLinkLine(line);
      if (!s) continue;
      if (this.state.get(s.name) === s.up) continue;
      this.state.set(s.name, s.up);
      this.onChange(s);
    }
  }
}
