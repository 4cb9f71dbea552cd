/**
 * A real forward proxy for a test: Debian's tinyproxy on a free port with a
 * temporary config, in the foreground (`tinyproxy -d -c FILE`), stopped and
 * removed in teardown. Its outgoing connections are bound to 127.0.0.2
 * (`Bind`), so a service that records its callers' addresses shows which
 * requests came through it: over HTTPS a proxy sees only one CONNECT per
 * kept-alive tunnel, so counting at the proxy would prove little.
 *
 * `stop()` and `start()` kill it and start it again on the same port (a site
 * proxy that goes away and comes back).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';

/** The address the proxy's outgoing connections come from. */
export const PROXY_OUTGOING_ADDRESS = '127.0.0.2';

export interface TinyProxy {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Why tinyproxy cannot run here, or undefined when it can. */
export function tinyproxyMissing(): string | undefined {
  const probe = spawnSync('tinyproxy', ['-v'], { encoding: 'utf8' });
  return probe.error ? 'tinyproxy is not installed (apt-get install tinyproxy)' : undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts tinyproxy allowing CONNECT to `connectPorts` (the service's, the identity provider's). */
export async function startTinyproxy(t: ExecutionContext, connectPorts: number[]): Promise<TinyProxy> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-proxy-'));
  const port = await freePort();
  const config = path.join(dir, 'tinyproxy.conf');
  writeFileSync(config, [
    `Port ${port}`,
    'Listen 127.0.0.1',
    `Bind ${PROXY_OUTGOING_ADDRESS}`,
    'Allow 127.0.0.1',
    'Timeout 600', // longer than any long-poll: an idle tunnel is the agent's to close
    'MaxClients 100',
    'LogLevel Info',
    `LogFile "${path.join(dir, 'tinyproxy.log')}"`,
    ...connectPorts.map((connectPort) => `ConnectPort ${connectPort}`),
    ...(process.getuid?.() === 0 ? ['User nobody', 'Group nogroup'] : []),
    '',
  ].join('\n'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  const start = async () => {
    const started = spawn('tinyproxy', ['-d', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    started.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    exited = new Promise((resolve) => started.once('exit', () => resolve()));
    child = started;
    for (let attempt = 0; attempt < 300; attempt += 1) {
      if (started.exitCode !== null) throw new Error(`tinyproxy exited (${started.exitCode}): ${stderr}`);
      if (await accepting(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`tinyproxy did not listen on ${port}: ${stderr}`);
  };
  t.teardown(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await start();
  return { url: `http://127.0.0.1:${port}`, port, stop, start };
}
