/**
 * Configuration of an anycast server node's own processes (the service
 * and the health checker), written by the lab as JSON next to the router's
 * config and read by service-main.ts and health-main.ts. The node's BGP
 * speaker is the router process (src/router/config.ts).
 */
import { WHOAMI_PORT } from './whoami.js';
import { DNS_PORT } from './dns-answer.js';
import { DEFAULT_HEALTH } from './health.js';

export interface ServiceConfig {
  readonly version: 1;
  /** The site's name: what whoami, id.server and NSID answer. */
  readonly name: string;
  /** Anycast addresses the service binds (each one itself, never the wildcard). */
  readonly addresses: readonly string[];
  readonly whoamiPort: number;
  readonly dnsPort: number;
  /** Origin of the demo zone (www.<origin> → the addresses). */
  readonly zoneOrigin: string;
  /** Control socket (ControlServer); absent: none. */
  readonly controlSocket?: string;
}

export interface HealthCheckConfig {
  readonly version: 1;
  readonly name: string;
  /** The address probed (the service's anycast address, reached over lo). */
  readonly address: string;
  readonly whoamiPort: number;
  readonly intervalMs: number;
  readonly rise: number;
  readonly fall: number;
  /** Per-probe answer timeout; default 60% of the interval. */
  readonly timeoutMs?: number;
  /** The node's router process (announce/withdraw). */
  readonly routerSocket: string;
  /** The service's control socket (drain stops it). */
  readonly serviceSocket?: string;
  /** The checker's own control socket. */
  readonly controlSocket?: string;
  /** Drain: how long to wait between the withdrawal and stopping the service. */
  readonly drainMs: number;
}

export function defaultServiceConfig(name: string, addresses: readonly string[]): ServiceConfig {
  return { version: 1, name, addresses, whoamiPort: WHOAMI_PORT, dnsPort: DNS_PORT, zoneOrigin: 'anycast.example' };
}

export function defaultHealthConfig(name: string, address: string, routerSocket: string): HealthCheckConfig {
  return { version: 1, name, address, whoamiPort: WHOAMI_PORT, ...DEFAULT_HEALTH, routerSocket, drainMs: 2000 };
}

export function probeTimeoutMs(c: Pick<HealthCheckConfig, 'intervalMs' | 'timeoutMs'>): number {
  return c.timeoutMs ?? Math.max(20, Math.round(c.intervalMs * 0.6));
}

/** Reads a config the lab wrote; throws with a readable message on a wrong shape (a programmer or operator error). */
export function parseConfigJson<T extends { version: number }>(text: string, what: string): T {
  const v = JSON.parse(text) as T;
  if (v === null || typeof v !== 'object' || v.version !== 1) throw new Error(`${what}: not a version 1 config`);
  return v;
}
