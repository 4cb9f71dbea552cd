/**
 * The service's CPU per small request (issue 21), independent of load: a real
 * `funcx-service serve` (SQLite), a few endpoints, then for each kind of request
 * N of them over a few kept-alive connections, timed by the service's own
 * utime+stime (/proc/PID/stat) before and after: µs of service CPU per request.
 * Kinds: GET /v2/version (the middleware chain's floor, no database), a heartbeat
 * with an unchanged report, a lease poll that finds nothing (wait_s 0).
 *
 * Knobs: FUNCX_BENCH_REQUESTS (per kind, default 10000), FUNCX_BENCH_QUIET_S (default 10), FUNCX_BENCH_LOG_LEVEL
 * (the service's FUNCX_LOG_LEVEL, default info as at `npm start`), FUNCX_BENCH_CPU_PROF=DIR.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { registerEndpoints, startServiceProcess } from './idleAgents.js';
import { callKeptAlive } from './httpCall.js';

const CONNECTIONS = 4;
const ENDPOINTS = 40; // 40 identities: 10,000 heartbeats stay far under the default 6,000 per identity per minute

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
}

export async function runRequestCpuBench(): Promise<void> {
  const requests = Number(process.env.FUNCX_BENCH_REQUESTS ?? 10_000);
  const cli = process.env.FUNCX_BENCH_SERVICE_CLI ?? fileURLToPath(new URL('../src/cli/funcx-service.js', import.meta.url));
  const profDir = process.env.FUNCX_BENCH_CPU_PROF;
  const service = await startServiceProcess({
    cli,
    nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
    env: { FUNCX_LOG_LEVEL: process.env.FUNCX_BENCH_LOG_LEVEL ?? 'info' },
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  try {
    const endpoints = await registerEndpoints(service.url, service.token, ENDPOINTS, 'reqcpu');
    const report = { total_workers: 4, idle_workers: 4, outstanding_tasks: 0, pending_tasks: 0, hostname: 'node-1.example.org' };
    const kinds: Record<string, (i: number) => Promise<unknown>> = {
      'GET /v2/version': () => callKeptAlive(agent, service.url, service.token, 'GET', '/v2/version'),
      'POST heartbeat (unchanged)': (i) => {
        const e = endpoints[i % ENDPOINTS]!;
        return callKeptAlive(agent, service.url, e.credential, 'POST', `/v3/endpoints/${e.id}/heartbeat`, report);
      },
      'POST lease (finds nothing)': (i) => {
        const e = endpoints[i % ENDPOINTS]!;
        return callKeptAlive(agent, service.url, e.credential, 'POST', `/v3/endpoints/${e.id}/lease`, { max_tasks: 1, wait_s: 0 });
      },
    };
    const hz = 100; // USER_HZ on Linux
    // What the service spends with no request at all (its timers: reaper, batched writes, ...), per second.
    const quietS = Number(process.env.FUNCX_BENCH_QUIET_S ?? 10);
    const quietBefore = cpuTicks(service.pid);
    await new Promise((resolve) => setTimeout(resolve, quietS * 1000));
    console.log(`no requests: ${((cpuTicks(service.pid) - quietBefore) / hz / quietS * 100).toFixed(2)} % of a core over ${quietS} s`);
    for (const [kind, send] of Object.entries(kinds)) {
      const run = async (count: number) => {
        let next = 0;
        await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
          while (next < count) await send(next++);
        }));
      };
      await run(Math.min(2000, requests)); // warm: JIT, caches, connections
      const before = cpuTicks(service.pid);
      await run(requests);
      const after = cpuTicks(service.pid);
      const usPerRequest = ((after - before) / hz) * 1e6 / requests;
      console.log(`${kind}: ${usPerRequest.toFixed(0)} µs of service CPU per request (${requests} requests, ${after - before} ticks)`);
    }
  } finally {
    agent.destroy();
    await service.stop();
  }
}
