/**
 * The lab's link shaper process: one per lab with shaped links. Each shaped
 * link is wired a-end ⇄ [lNa | lNb] ⇄ b-end, where lNa and lNb are veth ends
 * in the lab's link namespace; this process bridges them frame by frame
 * through AF_PACKET ports (opened there through setns), applying each
 * direction's DirectionShaper. Frames pass unchanged, as on a wire.
 *
 *   node dist/src/dataplane/shaper-main.js CONFIG.json
 *
 * CONFIG: { "links": [{ "a": "l3a", "b": "l3b", "aToB": {...ShapingParams}, "bToA": {...} }] }
 * Run inside the link namespace (`ip netns exec <lab>-_links ...`).
 * Prints "ready" once every port is open.
 */
import { readFileSync } from 'node:fs';
import { LinuxFrameIo } from './linux-frame-io.js';
import { DirectionShaper, type ShapingParams } from './link-shaper.js';
import type { FramePort } from './frame-io.js';

interface ShapedLinkConfig {
  readonly a: string;
  readonly b: string;
  readonly aToB?: ShapingParams;
  readonly bToA?: ShapingParams;
}

interface Pending {
  readonly at: number;
  readonly frame: Uint8Array;
  readonly out: FramePort;
  readonly shaper: DirectionShaper;
}

const now = () => performance.now();

/** Departures in time order; one timer for the earliest. */
class DepartureQueue {
  private readonly items: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;

  push(p: Pending): void {
    // Mostly appended in order (FIFO per direction); keep sorted across directions.
    let i = this.items.length;
    while (i > 0 && this.items[i - 1].at > p.at) i--;
    this.items.splice(i, 0, p);
    this.arm();
  }

  private arm(): void {
    const first = this.items[0];
    if (!first || first.at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = first.at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, first.at - now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const t = now() + 0.25; // send what is due within a quarter millisecond
    const touched = new Set<FramePort>();
    while (this.items.length && this.items[0].at <= t) {
      const p = this.items.shift()!;
      p.out.send(p.frame);
      p.shaper.departed();
      touched.add(p.out);
    }
    for (const port of touched) port.flush();
    this.arm();
  }
}

function wire(io: LinuxFrameIo, cfg: ShapedLinkConfig, queue: DepartureQueue): void {
  const a = io.open(cfg.a, { promiscuous: true });
  const b = io.open(cfg.b, { promiscuous: true });
  const direction = (from: FramePort, to: FramePort, params: ShapingParams | undefined) => {
    const shaper = params ? new DirectionShaper(params) : undefined;
    from.onFrames((batch) => {
      const t = now();
      for (let i = 0; i < batch.count; i++) {
        const off = batch.offsets[i], len = batch.lengths[i];
        if (!shaper) {
          to.send(batch.buffer, len, off);
          continue;
        }
        const at = shaper.admit(t, len);
        if (at < 0) continue;
        const frame = batch.buffer.slice(off, off + len);
        if (at <= t) {
          to.send(frame);
          shaper.departed();
        } else queue.push({ at, frame, out: to, shaper });
      }
      to.flush();
    });
  };
  direction(a, b, cfg.aToB);
  direction(b, a, cfg.bToA);
}

function main(): void {
  const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8')) as { links: ShapedLinkConfig[] };
  const queue = new DepartureQueue();
  const io = new LinuxFrameIo();
  for (const link of cfg.links) wire(io, link, queue);
  process.stdout.write('ready\n');
  const stop = () => {
    io.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
