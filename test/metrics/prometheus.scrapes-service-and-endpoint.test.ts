/**
 * A real Prometheus (Debian's, started on a free port with a generated config)
 * scrapes the service (token mode) and a real endpoint agent (its metrics_port)
 * while tasks run; its HTTP API then answers for series from both. Both scrapes
 * pass `promtool check metrics`. Skips loudly without the binaries.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { packageRoot } from '../../src/util/paths.js';
import { startLiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { freePort } from '../helpers/mariadb.js';
import { PROMETHEUS, PROMTOOL, promtoolCheck, startPrometheus } from '../helpers/prometheus.js';
import { requireRealPart } from '../helpers/realPart.js';

const TOKEN = 'scrape-token-0123456789abcdef';

if (requireRealPart('Prometheus scrapes the service and an endpoint', PROMETHEUS && PROMTOOL ? undefined : 'prometheus/promtool not installed (apt-get install prometheus)')) {
  test('Prometheus scrapes the service and an endpoint agent while tasks run, and answers queries on both', async (t) => {
    const live = await startLiveService(t, 'sqlite', { metricsToken: TOKEN });
    const metricsPort = await freePort();
    const endpoint = await startEndpointProcess(t, live, { config: { metrics_port: metricsPort, max_workers: 2 } });
    const serviceTarget = new URL(live.url).host;
    const prometheus = await startPrometheus(t, [
      { job: 'funcx-service', target: serviceTarget, bearer: TOKEN },
      { job: 'funcx-endpoint', target: `127.0.0.1:${metricsPort}` },
    ]);

    const sleepy = await registerPython(live, 'def nap(s):\n    import time\n    time.sleep(s)\n    return s\n', 'nap');
    const failing = await registerPython(live, 'def boom():\n    raise ValueError("boom")\n', 'boom');
    const ids = await submit(live, endpoint.endpointId, sleepy, [[1], [1], [1], [1], [1], [1]]);
    const failed = await submit(live, endpoint.endpointId, failing, [[]]);

    // While they run: Prometheus sees the endpoint holding tasks (bounded wait on its own scrapes).
    await waitFor(async () => {
      const held = await prometheus.query(`max_over_time(funcx_endpoint_tasks_held{endpoint="${endpoint.endpointId}"}[1m])`);
      return held.some((s) => Number(s.value[1]) > 0);
    }, 'Prometheus to see held tasks on the endpoint', 60_000);

    const done = await waitForTasks(live, [...ids, ...failed]);
    t.is(Object.values(done).filter((task) => task.status === 'success').length, 6);

    // Both targets up, and the counters as the service and the endpoint saw them.
    await waitFor(async () => {
      const completed = await prometheus.query(`sum by (status) (funcx_tasks_completed_total{endpoint="${endpoint.endpointId}"})`);
      const posted = await prometheus.query('sum(funcx_endpoint_results_posted_total{outcome="stored"})');
      const byStatus = Object.fromEntries(completed.map((s) => [s.metric.status, Number(s.value[1])]));
      return byStatus.success === 6 && byStatus.failed === 1 && Number(posted[0]?.value[1]) === 7;
    }, 'Prometheus to have scraped the finished counts', 60_000);
    const up = await prometheus.query('up');
    t.deepEqual(up.map((s) => [s.metric.job, s.value[1]]).sort(), [['funcx-endpoint', '1'], ['funcx-service', '1']]);
    const turnaround = await prometheus.query('funcx_task_turnaround_seconds_count');
    t.is(Number(turnaround[0].value[1]), 7);
    const roundTrips = await prometheus.query('sum by (call) (funcx_endpoint_service_request_duration_seconds_count)');
    t.deepEqual(roundTrips.map((s) => s.metric.call).sort().filter((c) => ['heartbeat', 'lease', 'postResults'].includes(c)), ['heartbeat', 'lease', 'postResults']);
    const workers = await prometheus.query('funcx_endpoint_worker_processes{runtime="python"}');
    t.true(Number(workers[0].value[1]) >= 1);
    // The service was up throughout: every result was posted from memory, none needed the spool.
    const spooled = await prometheus.query('funcx_endpoint_results_spooled_total');
    t.is(Number(spooled[0].value[1]), 0);

    // promtool accepts both scrapes as they are now.
    const serviceText = await (await fetch(`${live.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const endpointText = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    for (const [who, text] of [['service', serviceText], ['endpoint', endpointText]]) {
      const verdict = promtoolCheck(text);
      t.true(verdict.ok, `${who}: ${verdict.output}`);
    }

    // The Grafana dashboard in docs/: every query is valid PromQL to this Prometheus, and every
    // metric it names is one the service or the endpoint declares.
    const dashboard = JSON.parse(readFileSync(path.join(packageRoot(), 'docs/grafana/funcx-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const declared = new Set([...`${serviceText}\n${endpointText}`.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        await t.notThrowsAsync(prometheus.query(expr.replaceAll('$service_job', 'funcx-service')), `${panel.title}: ${expr}`);
        for (const [name] of expr.matchAll(/\b(?:funcx|process|nodejs)_[a-z_]+/g)) {
          const family = name.replace(/_(bucket|sum|count)$/, '');
          t.true(declared.has(family) || declared.has(name), `${panel.title}: ${name} is not exposed`);
        }
      }
    }
  });
}
