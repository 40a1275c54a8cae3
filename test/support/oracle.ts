// iproute2 as the oracle: what `ip -j -n NAME ...` shows must match what the library said.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** `ip -j [-n NETNS] ARGS...` parsed; netns '' runs in the test's own namespace. */
export function ip<T = unknown>(netns: string, ...args: string[]): T {
  const out = execFileSync('ip', ['-j', ...(netns ? ['-n', netns] : []), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return (out.trim() === '' ? [] : JSON.parse(out)) as T;
}

export function ipRaw(netns: string, ...args: string[]): string {
  return execFileSync('ip', [...(netns ? ['-n', netns] : []), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface IpLink { ifindex: number; ifname: string; mtu: number; address: string; flags: string[]; operstate: string; master?: string; linkinfo?: { info_kind: string } }
export interface IpAddr {
  ifname: string;
  addr_info: Array<{ family: string; local: string; prefixlen: number; scope: string; address?: string; broadcast?: string; nodad?: boolean }>;
}
export interface IpRoute {
  dst: string; gateway?: string; dev?: string; scope?: string; metric?: number; table?: string; protocol?: string;
  prefsrc?: string; flags: string[]; type?: string;
}

let made = 0;

/**
 * A sandbox name no other test uses: random across processes, and a counter within one (3
 * random bytes alone collided about once in 8 runs of a 2,000-sandbox test).
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}${(made++).toString(36)}`;
}

/** An entry as `conntrack -L -o extended,id` prints it. */
export interface CtLine {
  family: 'ipv4' | 'ipv6'; protocol: string; state?: string; original: Record<string, string>; reply: Record<string, string>;
  flags: string[]; mark?: string; zone?: string; id?: string;
}

/** conntrack-tools (`conntrack ARGS...`) run in the sandbox NAME: its output lines. */
export function conntrack(netns: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', netns, 'conntrack', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `conntrack -L -o extended,id [ARGS]` parsed. */
export function conntrackList(netns: string, ...args: string[]): CtLine[] {
  return conntrack(netns, '-L', '-o', 'extended,id', ...args).split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [family, , protocol, , , ...rest] = line.trim().split(/\s+/);
    const entry: CtLine = { family: family as CtLine['family'], protocol: protocol!, original: {}, reply: {}, flags: [] };
    let tuple: Record<string, string> | undefined;
    for (const token of rest) {
      if (token.startsWith('[')) { entry.flags.push(token.slice(1, -1)); continue; }
      const eq = token.indexOf('=');
      if (eq < 0) { entry.state = token; continue; }
      const key = token.slice(0, eq);
      const value = token.slice(eq + 1);
      if (key === 'src') tuple = tuple === undefined ? entry.original : entry.reply;
      if (key === 'mark' || key === 'zone' || key === 'use') tuple = undefined;
      if (tuple) tuple[key] = value;
      else if (key === 'mark' || key === 'zone' || key === 'id') entry[key] = value;
    }
    return entry;
  });
}
