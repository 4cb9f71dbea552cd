/**
 * A real HAProxy in front of service replicas, as deploy/ runs it: round robin, health checks on
 * /readyz every 200 ms (a replica is out after one failed check, back after two good ones), and
 * retries of a request whose connection failed or got no answer (a replica killed or stopping).
 * Plus the tracked child process both fleet-style suites start their replicas with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { findBinary, freePort } from './mariadb.js';
import { waitFor } from './endpointProcess.js';

export const haproxyBinary = findBinary('haproxy');

export interface TrackedProcess {
  child: ChildProcess;
  /** Resolves when the process ended and everything it printed is in output(). */
  exited: Promise<unknown>;
  output(): string;
}

/** A child process killed (SIGKILL) at the test's teardown if still running. */
export function spawnTracked(t: ExecutionContext, command: string, args: string[], env: NodeJS.ProcessEnv): TrackedProcess {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('close', resolve));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, exited, output: () => output };
}

/** HTTP status of GET url (0 when nothing answers). */
export async function statusOf(url: string): Promise<number> {
  return fetch(url).then((response) => response.status, () => 0);
}

/** HAProxy's configuration: listening on 127.0.0.1:`front`, balancing the replicas on `ports` (also used by bench/fleetResume). */
export function haproxyConfig(front: number, ports: number[]): string {
  return [
    'global', '    maxconn 4000',
    'defaults', '    mode http', '    timeout connect 2s', '    timeout client 90s', '    timeout server 90s',
    '    retries 3', '    option redispatch', '    retry-on conn-failure empty-response response-timeout',
    'frontend funcx', `    bind 127.0.0.1:${front}`, '    default_backend replicas',
    'backend replicas', '    balance roundrobin', '    option httpchk GET /readyz', '    http-check expect status 200',
    ...ports.map((port, i) => `    server r${i} 127.0.0.1:${port} check inter 200ms fall 1 rise 2`),
    '',
  ].join('\n');
}

/** HAProxy on a free port in front of the replicas on `ports`, once it answers /readyz through a ready replica. */
export async function startHaproxy(t: ExecutionContext, dir: string, ports: number[]): Promise<TrackedProcess & { url: string }> {
  const front = await freePort();
  const cfg = path.join(dir, `haproxy-${front}.cfg`);
  writeFileSync(cfg, haproxyConfig(front, ports));
  const haproxy = spawnTracked(t, haproxyBinary!, ['-db', '-f', cfg], { PATH: process.env.PATH });
  const url = `http://127.0.0.1:${front}`;
  await waitFor(async () => (await statusOf(`${url}/readyz`)) === 200, 'HAProxy and a ready replica', 60_000);
  return { ...haproxy, url };
}
