/**
 * The interactive prompt (`lab>`), with Mininet's command names and meanings:
 * one handler per command, its doc string is the help; one-line usage errors;
 * completion of commands and node names; history in ~/.anycast-lab_history.
 * `NODE CMD ARGS` runs CMD in the node's namespace with node names after the
 * first word replaced by their addresses (so `client ping b` works).
 */
import { createInterface, type Interface as ReadlineInterface } from 'node:readline';
import { existsSync, readFileSync, appendFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { namespaceName } from './plan.js';
import { firstIpv4, interfaceStatus, nodePids, pingall, pingPair, readLabTopology, endSystems, findNode, LabError } from './lab.js';
import { formatDump, formatLinks, formatNet, formatNodes, formatPingall } from './format.js';
import type { Topology } from './topology/types.js';
import {
  catchment, defaultAnycastAddress, failover, failServer, FAILURE_KINDS, formatCatchment, formatFailover, formatProbe, formatSites, probeFrom, recoverServer, sites, type FailureKind,
} from './anycast.js';

interface PromptContext {
  readonly lab: string;
  readonly topo: Topology;
  readonly write: (s: string) => void;
}

interface PromptCommand {
  readonly usage: string;
  readonly help: string;
  readonly run: (ctx: PromptContext, args: string[]) => Promise<void | 'exit'>;
}

async function inNamespace(ctx: PromptContext, node: string, argv: string[]): Promise<number> {
  const ignore = () => {};
  process.on('SIGINT', ignore); // Ctrl-C stops the command, not the prompt
  try {
    const r = await execa('ip', ['netns', 'exec', namespaceName(ctx.lab, node), ...argv], { stdio: 'inherit', reject: false });
    return r.exitCode ?? 1;
  } finally {
    process.off('SIGINT', ignore);
  }
}

/** Replaces node names (after the command word) by the node's first IPv4 address. */
export function substituteNodeNames(topo: Topology, argv: readonly string[]): string[] {
  return argv.map((a, i) => {
    if (i === 0) return a;
    const node = topo.nodes.find((n) => n.name === a);
    return node ? firstIpv4(node) ?? a : a;
  });
}

/**
 * `fail`/`failover` arguments in either spelling: the prompt's `SERVER KIND`
 * or the shell's `SERVER --how KIND` (what the topologies' comments show).
 */
export function serverAndHow(args: readonly string[]): [string | undefined, string] {
  const rest = [...args];
  const i = rest.indexOf('--how');
  const flagged = i >= 0 ? rest.splice(i, 2)[1] : undefined;
  return [rest[0], flagged ?? rest[1] ?? 'service'];
}

const PROMPT_COMMANDS: Record<string, PromptCommand> = {
  help: {
    usage: 'help',
    help: 'List the commands.',
    async run(ctx) {
      const { COMMANDS } = await import('./cli.js');
      ctx.write(promptHelp(COMMANDS));
    },
  },
  nodes: { usage: 'nodes', help: 'List all nodes.', run: async (ctx) => ctx.write(formatNodes(ctx.topo)) },
  net: { usage: 'net', help: 'List network connections.', run: async (ctx) => ctx.write(formatNet(ctx.topo)) },
  dump: {
    usage: 'dump',
    help: 'Dump node info.',
    async run(ctx) {
      const pids = nodePids(ctx.lab);
      ctx.write(formatDump(ctx.topo, (n) => pids.get(n)));
    },
  },
  links: {
    usage: 'links',
    help: 'Report on links.',
    async run(ctx) {
      const st = await interfaceStatus(ctx.lab, ctx.topo);
      ctx.write(formatLinks(ctx.topo, (n, i) => st.get(`${n}/${i}`) ?? 'MISSING'));
    },
  },
  intfs: {
    usage: 'intfs',
    help: 'List interfaces.',
    run: async (ctx) => ctx.write(ctx.topo.nodes.map((n) => `${n.name}: ${n.interfaces.map((i) => i.name).join(',')}`).join('\n') + '\n'),
  },
  pingall: {
    usage: 'pingall',
    help: 'Ping between all hosts.',
    async run(ctx) {
      ctx.write(formatPingall(endSystems(ctx.topo).map((n) => n.name), await pingall(ctx.lab, ctx.topo)));
    },
  },
  pingpair: {
    usage: 'pingpair',
    help: 'Ping between the first two hosts.',
    async run(ctx) {
      const [a, b] = endSystems(ctx.topo);
      if (!a || !b) throw new LabError('pingpair needs two hosts');
      const results = [
        { from: a.name, to: b.name, ok: await pingPair(ctx.lab, a, b) },
        { from: b.name, to: a.name, ok: await pingPair(ctx.lab, b, a) },
      ];
      ctx.write(formatPingall([a.name, b.name], results));
    },
  },
  link: {
    usage: 'link NODE1 NODE2 up|down',
    help: 'Bring the link(s) between two nodes up or down (both ends).',
    async run(ctx, args) {
      const [x, y, state] = args;
      if (!x || !y || (state !== 'up' && state !== 'down')) throw new LabError('usage: link NODE1 NODE2 up|down');
      const links = ctx.topo.links.filter((l) => (l.a.node === x && l.b.node === y) || (l.a.node === y && l.b.node === x));
      if (!links.length) throw new LabError(`no link between ${x} and ${y}`);
      for (const l of links) {
        for (const end of [l.a, l.b]) {
          await execa('ip', ['-n', namespaceName(ctx.lab, end.node), 'link', 'set', 'dev', end.interface, state]);
        }
      }
    },
  },
  sh: {
    usage: 'sh CMD [ARGS...]',
    help: 'Run a command on the host (no shell: the words are the argv).',
    async run(_ctx, args) {
      if (!args.length) throw new LabError('usage: sh CMD [ARGS...]');
      await execa(args[0], args.slice(1), { stdio: 'inherit', reject: false });
    },
  },
  source: {
    usage: 'source FILE',
    help: 'Read commands from a file.',
    async run(ctx, args) {
      if (!args[0]) throw new LabError('usage: source FILE');
      for (const line of readFileSync(args[0], 'utf8').split('\n')) {
        if (!line.trim() || line.trim().startsWith('#')) continue;
        ctx.write(`lab> ${line}\n`);
        if ((await runPromptLine(ctx, line)) === 'exit') return 'exit';
      }
    },
  },
  time: {
    usage: 'time CMD...',
    help: 'Measure how long a command takes.',
    async run(ctx, args) {
      const t0 = process.hrtime.bigint();
      await runPromptLine(ctx, args.join(' '));
      ctx.write(`*** Elapsed time: ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(6)} secs\n`);
    },
  },
  probe: {
    usage: 'probe CLIENT [ADDRESS]',
    help: 'UDP whoami probes from CLIENT to the anycast address: which server answered, RTT, AS path.',
    async run(ctx, args) {
      const [client, address] = args;
      if (!client) throw new LabError('usage: probe CLIENT [ADDRESS]');
      ctx.write(formatProbe(await probeFrom(ctx.lab, ctx.topo, client, address ?? defaultAnycastAddress(ctx.topo))));
    },
  },
  catchment: {
    usage: 'catchment [ADDRESS]',
    help: 'Every client -> the server that answered, beside the oracle\'s prediction.',
    async run(ctx, args) {
      ctx.write(formatCatchment(await catchment(ctx.lab, ctx.topo, args[0] ?? defaultAnycastAddress(ctx.topo))));
    },
  },
  sites: {
    usage: 'sites',
    help: 'Every anycast site: service, health verdict, announced or not, requests per client.',
    async run(ctx) {
      ctx.write(formatSites(await sites(ctx.lab, ctx.topo)));
    },
  },
  fail: {
    usage: 'fail SERVER [--how] KIND',
    help: `Break an anycast server; KIND: ${FAILURE_KINDS.join(', ')} (default service).`,
    async run(ctx, args) {
      const [server, how] = serverAndHow(args);
      if (!server || !(FAILURE_KINDS as readonly string[]).includes(how)) throw new LabError(`usage: fail SERVER [--how] ${FAILURE_KINDS.join('|')}`);
      const r = await failServer(ctx.lab, ctx.topo, server, how as FailureKind);
      ctx.write(`*** ${server} failed (${how}): ${r.detail}\n`);
    },
  },
  recover: {
    usage: 'recover SERVER',
    help: 'Undo fail SERVER.',
    async run(ctx, args) {
      if (!args[0]) throw new LabError('usage: recover SERVER');
      const r = await recoverServer(ctx.lab, ctx.topo, args[0]);
      ctx.write(`*** ${args[0]} recovered (${r.how}): ${r.detail}\n`);
    },
  },
  failover: {
    usage: 'failover SERVER [--how] KIND',
    help: 'Stream probes from every client across a failure of SERVER; outage and probes lost per client.',
    async run(ctx, args) {
      const [server, how] = serverAndHow(args);
      if (!server || !(FAILURE_KINDS as readonly string[]).includes(how)) throw new LabError(`usage: failover SERVER [--how] ${FAILURE_KINDS.join('|')}`);
      ctx.write(formatFailover(await failover(ctx.lab, ctx.topo, server, how as FailureKind, { address: defaultAnycastAddress(ctx.topo) })));
    },
  },
  exit: { usage: 'exit', help: 'Leave the prompt (and take the lab down when it was started with it).', run: async () => 'exit' },
  quit: { usage: 'quit', help: 'Same as exit.', run: async () => 'exit' },
};

/** Prompt commands that also run from the shell as `lab NAME ... --lab LAB`. */
export const SHELL_PROMPT_COMMANDS = ['intfs', 'pingpair', 'link', 'source', 'time'];

/**
 * Runs one of SHELL_PROMPT_COMMANDS on a lab from the shell; 0 when it
 * succeeded, 1 when the command it ran reported an error.
 */
export async function runPromptCommand(lab: string, name: string, args: string[]): Promise<number> {
  const cmd = SHELL_PROMPT_COMMANDS.includes(name) ? PROMPT_COMMANDS[name] : undefined;
  if (!cmd) throw new LabError(`'${name}' is not a prompt command (${SHELL_PROMPT_COMMANDS.join(', ')})`);
  let failed = false;
  const ctx: PromptContext = {
    lab,
    topo: readLabTopology(lab),
    write: (s) => {
      if (s.startsWith('*** ') && !/^\*\*\* (Elapsed|Ping|Results)/.test(s)) failed = true;
      process.stdout.write(s);
    },
  };
  await cmd.run(ctx, args);
  return failed ? 1 : 0;
}

/**
 * The prompt's help, from the command tables: the prompt's own commands,
 * then every lab command that works here (usage without `lab` and `--lab`).
 */
export function promptHelp(labCommands: Readonly<Record<string, { readonly usage: string; readonly help: string }>> = {}): string {
  const rows = Object.values(PROMPT_COMMANDS).map((c) => `  ${c.usage.padEnd(28)} ${c.help}`);
  rows.push(`  ${'NODE CMD [ARGS...]'.padEnd(28)} Run CMD in NODE's namespace; node names in ARGS become addresses.`);
  const lab = Object.entries(labCommands).filter(([name]) => !PROMPT_COMMANDS[name] && !['up', 'down', 'clean', 'cli'].includes(name));
  if (lab.length) {
    rows.push('Lab commands, on this lab:');
    for (const [, c] of lab) {
      const usage = c.usage.split(' | lab ')[0].replace(/^lab /, '').replace(/ \[--lab LAB\]/g, '');
      rows.push(`  ${usage}`);
      rows.push(`      ${c.help}`);
    }
  }
  return `Commands:\n${rows.join('\n')}\n`;
}

export async function runPromptLine(ctx: PromptContext, line: string): Promise<void | 'exit'> {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (!words.length) return;
  const [first, ...rest] = words;
  const cmd = PROMPT_COMMANDS[first];
  try {
    if (cmd) return await cmd.run(ctx, rest);
    if (ctx.topo.nodes.some((n) => n.name === first)) {
      if (!rest.length) throw new LabError(`usage: ${first} CMD [ARGS...]`);
      findNode(ctx.topo, first);
      await inNamespace(ctx, first, substituteNodeNames(ctx.topo, rest));
      return;
    }
    // Every `lab COMMAND` works at the prompt too, on this lab.
    const { COMMANDS } = await import('./cli.js');
    const labCmd = COMMANDS[first];
    if (labCmd && !['up', 'down', 'clean', 'cli'].includes(first)) {
      const { parseArgs } = await import('./cli-args.js');
      await labCmd.run(parseArgs(['--lab', ctx.lab, ...rest], labCmd.passthroughAfter));
      return;
    }
    ctx.write(`*** Unknown command: ${line.trim()} (type help)\n`);
  } catch (err) {
    ctx.write(`*** ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

const HISTORY = join(homedir(), '.anycast-lab_history');

/** Router views of `show ROUTER VIEW`, for completion. */
const SHOW_VIEWS = ['interfaces', 'bgp', 'neighbors', 'fib', 'arp', 'counters'];

/**
 * Tab completion of the word under the cursor: commands (the prompt's and
 * every lab command's) and node names first; `show ROUTER` then a view;
 * `capture|tcpdump NODE` then one of NODE's interfaces; node names elsewhere.
 */
export function completions(topo: Topology, labCommands: readonly string[], line: string): [string[], string] {
  const words = line.split(/\s+/);
  const last = words.pop() ?? '';
  const nodes = topo.nodes.map((n) => n.name);
  let pool: string[];
  if (words.length === 0 || (words.length === 1 && words[0] === '')) {
    pool = [...new Set([...Object.keys(PROMPT_COMMANDS), ...labCommands.filter((c) => !['up', 'down', 'clean', 'cli'].includes(c)), ...nodes])];
  } else if (words[0] === 'show' && words.length === 2) {
    pool = SHOW_VIEWS;
  } else if ((words[0] === 'capture' || words[0] === 'tcpdump') && words.length === 2) {
    pool = topo.nodes.find((n) => n.name === words[1])?.interfaces.map((i) => i.name) ?? [];
  } else {
    pool = nodes;
  }
  return [pool.filter((w) => w.startsWith(last)).sort(), last];
}

export async function runPrompt(lab: string): Promise<void> {
  const topo = readLabTopology(lab);
  const ctx: PromptContext = { lab, topo, write: (s) => process.stdout.write(s) };
  const { COMMANDS } = await import('./cli.js');
  const labCommands = Object.keys(COMMANDS);
  const history = existsSync(HISTORY) ? readFileSync(HISTORY, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 500) : [];
  const rl: ReadlineInterface = createInterface({
    input: process.stdin,
    output: process.stdout,
    prompt: 'lab> ',
    history,
    completer: (line: string) => completions(topo, labCommands, line),
  });
  // Ctrl-C at the prompt drops the line being typed, as a shell does.
  rl.on('SIGINT', () => {
    rl.write('', { ctrl: true, name: 'u' });
    ctx.write('^C\n');
    rl.prompt();
  });
  const tty = process.stdin.isTTY === true;
  const ignoreInterrupt = () => {};
  ctx.write(`*** lab ${lab}: ${topo.nodes.length} nodes. Type help for commands, exit to leave.\n`);
  rl.prompt();
  for await (const line of rl) {
    if (line.trim()) {
      try {
        appendFileSync(HISTORY, line + '\n');
      } catch {
        // history is a convenience
      }
    }
    rl.pause();
    // While a command runs the terminal is in cooked mode, so Ctrl-C is SIGINT for the
    // command (ping, tcpdump, events --follow) and the prompt itself stays.
    if (tty) process.stdin.setRawMode(false);
    process.on('SIGINT', ignoreInterrupt);
    let r: void | 'exit';
    try {
      r = await runPromptLine(ctx, line);
    } finally {
      process.off('SIGINT', ignoreInterrupt);
      if (tty) process.stdin.setRawMode(true);
    }
    if (r === 'exit') break;
    rl.resume();
    rl.prompt();
  }
  rl.close();
}
