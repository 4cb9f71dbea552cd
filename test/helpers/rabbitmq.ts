/**
 * A private RabbitMQ (Debian's rabbitmq-server) for one test file: its own
 * temp folder, node name, Erlang cookie (HOME), port mapper (epmd) and free ports, with the
 * management plugin (the service makes per-user credentials through it).
 * `rabbitmqMissing()` says why it cannot run, so suites skip loudly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './mariadb.js';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const CTL = '/usr/lib/rabbitmq/bin/rabbitmqctl';
const START_TIMEOUT_MS = 90_000;

export interface PrivateRabbit {
  /** amqp://guest:guest@127.0.0.1:PORT/ (guest is an administrator, reachable from localhost only). */
  amqpUrl: string;
  managementUrl: string;
  stop(): Promise<void>;
}

export function rabbitmqMissing(): string | undefined {
  return existsSync(SERVER) ? undefined : `${SERVER} not found (apt-get install rabbitmq-server)`;
}

async function waitForPort(port: number): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nothing listens on port ${port}`);
}

export async function startRabbitMq(): Promise<PrivateRabbit> {
  const dir = mkdtempSync(path.join(tmpdir(), 'funcx-rabbitmq-'));
  const [port, distPort, managementPort, epmdPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const node = `fxtest${randomBytes(4).toString('hex')}@localhost`;
  const env = {
    ...process.env,
    HOME: dir,
    // Its own Erlang port mapper too, so none outlives the test (the default one would stay, shared).
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_PID_FILE: path.join(dir, 'pid'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'plugins'),
  };
  writeFileSync(path.join(dir, 'plugins'), '[rabbitmq_management].\n');
  writeFileSync(path.join(dir, 'rabbitmq.conf'), [
    `listeners.tcp.default = 127.0.0.1:${port}`,
    `management.tcp.port = ${managementPort}`,
    'management.tcp.ip = 127.0.0.1',
  ].join('\n') + '\n');
  // The port mapper is started here, in the foreground, so it is ours to end (the broker would start it as a daemon).
  const epmd = spawn('epmd', ['-port', String(epmdPort), '-relaxed_command_check'], { env, stdio: 'ignore' });
  const epmdExited = new Promise<void>((resolve) => epmd.once('exit', () => resolve()));
  try {
    await waitForPort(epmdPort);
  } catch (error) {
    epmd.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const child = spawn(SERVER, [], { env, stdio: 'ignore', detached: true });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    spawnSync(CTL, ['-n', node, 'stop'], { env, stdio: 'ignore', timeout: 30_000 });
    try {
      process.kill(-child.pid!, 'SIGKILL'); // whatever the stop left
    } catch {
      // already gone
    }
    epmd.kill('SIGKILL');
    await epmdExited;
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    rmSync(dir, { recursive: true, force: true });
  };
  const managementUrl = `http://guest:guest@127.0.0.1:${managementPort}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  // Ready when the management API answers (it starts after the AMQP listener).
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${managementPort}/api/overview`, {
        headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` }, signal: AbortSignal.timeout(2_000),
      });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the private RabbitMQ did not start (exit ${child.exitCode}) within ${START_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { amqpUrl: `amqp://guest:guest@127.0.0.1:${port}/`, managementUrl, stop };
}
