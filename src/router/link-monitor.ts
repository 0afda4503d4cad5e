/**
 * Watches the namespace's interfaces through rtnetlink link messages
 * (RTMGRP_LINK, rtnetlink(7)), read by the small addon
 * src/router/native/link_watch.c (built by node-gyp into
 * build/Release/linkwatch.node): a dump of every link at start, then each
 * RTM_NEWLINK / RTM_DELLINK as the kernel sends it — the messages
 * `ip monitor link` prints, without a process or text in between.
 *
 * An interface counts as up when it is administratively UP and has carrier:
 * IFF_UP, IFF_LOWER_UP and IFF_RUNNING (what `ip link` shows as UP,LOWER_UP
 * without NO-CARRIER). Setting the far end of a veth down drops our carrier,
 * and that is reported here at once. A deleted link is down.
 *
 * Not here: addresses and routes (the router owns its configuration).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../dataplane/linux-frame-io.js';

export interface LinkState {
  readonly name: string;
  readonly up: boolean;
}

/** One link as the addon reports it: ifinfomsg.ifi_flags and, for events, whether it was deleted. */
export interface RawLink {
  readonly index: number;
  readonly name: string;
  readonly flags: number;
  readonly deleted?: boolean;
}

interface LinkWatchAddon {
  links(): RawLink[];
  Watch: new (onChanges: (links: RawLink[]) => void) => { close(): void };
  flags: { up: number; running: number; lowerUp: number };
}

/** <linux/if.h> */
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;
const IFF_LOWER_UP = 0x10000;
const CARRIER_UP = IFF_UP | IFF_RUNNING | IFF_LOWER_UP;

/** Up means administratively up with carrier; a deleted link is down. */
export function linkStateOf(l: RawLink): LinkState {
  return { name: l.name, up: !l.deleted && (l.flags & CARRIER_UP) === CARRIER_UP };
}

let addon: LinkWatchAddon | undefined;

function loadAddon(): LinkWatchAddon {
  if (addon) return addon;
  const path = join(packageRoot(), 'build', 'Release', 'linkwatch.node');
  if (!existsSync(path)) throw new Error(`link-monitor: native addon not built (${path} missing): run \`npm ci\``);
  const loaded = createRequire(import.meta.url)(path) as LinkWatchAddon;
  const f = loaded.flags;
  if (f.up !== IFF_UP || f.running !== IFF_RUNNING || f.lowerUp !== IFF_LOWER_UP) throw new Error('link-monitor: addon flag values differ from <linux/if.h>');
  addon = loaded;
  return addon;
}

export class LinkMonitor {
  private watch?: { close(): void };
  private readonly state = new Map<string, boolean>();

  constructor(private readonly onChange: (s: LinkState) => void) {}

  /** Reads the current state, then follows changes; throws when rtnetlink cannot be read. */
  async start(): Promise<Map<string, boolean>> {
    const a = loadAddon();
    // Join the group first, then dump: a change in between arrives as an event after the dump.
    this.watch = new a.Watch((links) => this.onLinks(links));
    for (const l of a.links()) {
      const s = linkStateOf(l);
      this.state.set(s.name, s.up);
    }
    return new Map(this.state);
  }

  isUp(name: string): boolean {
    return this.state.get(name) ?? false;
  }

  stop(): void {
    this.watch?.close();
    this.watch = undefined;
  }

  private onLinks(links: readonly RawLink[]): void {
    for (const l of links) {
      const s = linkStateOf(l);
      if (this.state.get(s.name) === s.up) continue;
      this.state.set(s.name, s.up);
      this.onChange(s);
    }
  }
}
