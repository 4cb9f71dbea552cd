/**
 * The fleet bench's third part: how long an endpoint whose long-poll was held by a replica that
 * dies takes to poll again through HAProxy and receive work. Two `funcx-service serve`
 * processes on a private MariaDB behind HAProxy (health checks every 200 ms, fall 1, as
 * test/fleet/haproxy.kill-replica.test.ts runs it); one endpoint polls through HAProxy with the
 * agent's own client (endpoint/client.ts) and backoff (endpoint/backoff.ts), the loop of
 * endpoint/agent/leaseLoop.ts. Each sample: find the replica holding the poll (its
 * funcx_long_poll_waiters gauge), SIGKILL it, submit a task through HAProxy at once, and time
 * from the kill until the endpoint holds that task; then restart the replica.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/db/connect.js';
import { migrateLatest } from '../src/db/migrate.js';
import { createToken } from '../src/registry/tokens.js';
import { ServiceClient } from '../endpoint/client.js';
import { Backoff } from '../endpoint/backoff.js';
import { DEFAULT_POLL_WAIT } from '../endpoint/config.js';
import { parseDuration, sleep } from '../src/util/time.js';
import { findBinary, freePort, startMariaDb } from '../test/helpers/mariadb.js';
import { call } from './httpCall.js';
import { haproxyConfig } from '../test/helpers/haproxy.js';

const SAMPLES = Number(process.env.FUNCX_BENCH_RESUME_SAMPLES ?? 5);
const SERVICE_CLI = fileURLToPath(new URL('../src/cli/funcx-service.js', import.meta.url));

async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function leaseWaiters(port: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('funcx_long_poll_waiters{kind="lease"}'));
    return line ? Number(line.split(' ').pop()) : 0;
  } catch {
    return 0; // dead or starting
  }
}

export async function measurePollResume(): Promise<void> {
  const haproxyBinary = findBinary('haproxy');
  if (!findBinary('mariadbd') || !haproxyBinary) {
    console.log('\npoll resume after a replica dies: skipped (needs mariadbd and haproxy)');
    return;
  }
  const server = await startMariaDb();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-resume-'));
  const children = new Set<ChildProcess>();
  const stopping = new AbortController();
  const start = (command: string, args: string[], env: NodeJS.ProcessEnv, stderr: 'inherit' | 'ignore' = 'inherit'): ChildProcess => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', stderr] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  try {
    const admin = openDatabase(server.url, { poolMax: 2 });
    await admin.raw('CREATE DATABASE resume CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
    await admin.destroy();
    const databaseUrl = `${server.url}resume`;
    const db = openDatabase(databaseUrl, { poolMax: 2 });
    await migrateLatest(db);
    const { token } = await createToken(db, { identity: 'bench' });
    await db.destroy();

    const ports = [await freePort(), await freePort()];
    const startReplica = (port: number) => start(process.execPath, [SERVICE_CLI, 'serve'], {
      PATH: process.env.PATH, FUNCX_DATABASE_URL: databaseUrl, FUNCX_PORT: String(port), FUNCX_HOME: path.join(dir, `replica-${port}`),
      FUNCX_WRITE_QUICKSTART: 'false', FUNCX_LOG_LEVEL: 'warn', FUNCX_LOG_FORMAT: 'json', FUNCX_TRUST_PROXY: 'true', FUNCX_METRICS: 'open',
    });
    const replicas = ports.map(startReplica);
    const front = await freePort();
    const cfg = path.join(dir, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig(front, ports));
    start(haproxyBinary, ['-db', '-f', cfg], { PATH: process.env.PATH }, 'ignore'); // its server up/down warnings are expected here
    const url = `http://127.0.0.1:${front}`;
    const ready = async (port: number) => (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0)) === 200;
    await until('both replicas', async () => (await ready(ports[0])) && (await ready(ports[1])));
    await until('HAProxy', async () => (await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) === 200);

    const fn = await call(url, token, 'POST', '/v3/functions', { runtime: 'python', source: 'def f(x):\n    return x\n', entry_point: 'f' });
    const ep = await call(url, token, 'POST', '/v3/endpoints', { name: 'resume' });
    // The agent's lease loop, with its client and backoff: every task it receives is reported here.
    const client = new ServiceClient(url);
    const received = new Map<string, number>();
    const pollWaitMs = parseDuration(DEFAULT_POLL_WAIT)!;
    const polling = (async () => {
      const backoff = new Backoff();
      while (!stopping.signal.aborted) {
        try {
          const response = await client.lease(ep.credential, ep.endpoint_id, 1, pollWaitMs, stopping.signal);
          backoff.reset();
          for (const task of response.tasks) {
            received.set(task.task_id, performance.now());
            await client.postResults(ep.credential, ep.endpoint_id, [{ task_id: task.task_id, lease_token: task.lease_token, status: 'success', result: '1', result_serializer: 'json' }]);
          }
        } catch {
          if (stopping.signal.aborted) break;
          await sleep(backoff.next(), stopping.signal).catch(() => {});
        }
      }
    })();

    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      let holder = -1;
      await until('the poll to wait on a replica', async () => {
        for (const [index, port] of ports.entries()) if ((await leaseWaiters(port)) > 0) holder = index;
        return holder >= 0;
      });
      const killed = performance.now();
      const exited = new Promise((resolve) => replicas[holder].once('exit', resolve));
      replicas[holder].kill('SIGKILL');
      const submitted = await call(url, token, 'POST', `/v3/endpoints/${ep.endpoint_id}/submit`, { tasks: { [fn.function_uuid]: ['{"args": [1], "kwargs": {}}'] } });
      const taskId = submitted.tasks[fn.function_uuid][0] as string;
      await until('the endpoint to receive the task', () => received.has(taskId), 120_000);
      samples.push(received.get(taskId)! - killed);
      await exited;
      replicas[holder] = startReplica(ports[holder]);
      await until('the replica to be back', () => ready(ports[holder]));
      await sleep(1000); // HAProxy's rise 2 at 200 ms
    }
    stopping.abort();
    await polling;
    samples.sort((a, b) => a - b);
    console.log(`\npoll resume after a replica dies: 2 replicas on MariaDB behind HAProxy (checks every 200 ms), one endpoint polling (poll_wait ${DEFAULT_POLL_WAIT}), ${SAMPLES} kills`);
    console.log(`SIGKILL of the replica holding the poll -> the endpoint holds a task submitted at once: median ${samples[Math.floor(samples.length / 2)].toFixed(0)} ms, max ${samples[samples.length - 1].toFixed(0)} ms (each: ${samples.map((s) => s.toFixed(0)).join(', ')} ms)`);
  } finally {
    stopping.abort();
    for (const child of children) child.kill('SIGKILL');
    await Promise.all([...children].map((child) => new Promise((resolve) => child.once('exit', resolve))));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
