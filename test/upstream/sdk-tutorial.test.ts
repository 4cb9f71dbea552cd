/**
 * The seeds' tutorial through the unmodified upstream clients, funcx 1.0.13's
 * FuncXClient and globus-compute-sdk 2.34.0's Client, against a real service
 * and a real funcx-endpoint with python3 workers: only the client construction
 * differs (a static token through their login-manager hooks, this service's URL).
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { startLiveService } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { runUpstreamPython, upstreamMissing } from '../helpers/upstreamSdks.js';
import { requireRealPart } from '../helpers/realPart.js';

const SCRIPT = path.join(packageRoot(), 'test', 'upstream', 'upstream_tutorial.py');
const missing = upstreamMissing();

const SDKS = [
  ['funcx', 'funcx.FuncXClient 1.0.13 (/v2/submit)'],
  ['globus-compute', 'globus_compute_sdk.Client 2.34.0 (/v3/endpoints/{id}/submit)'],
] as const;

if (requireRealPart('upstream SDK tutorial', missing)) {
  for (const [sdk, label] of SDKS) {
    test(`the seeds' tutorial runs unmodified through ${label}`, async (t) => {
      const live = await startLiveService(t, 'sqlite');
      // The system interpreter: Debian's python3-dill is installed for it (by-value code needs dill).
      const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 2, python: '/usr/bin/python3' } });
      const home = mkdtempSync(path.join(tmpdir(), 'funcx-upstream-'));
      t.teardown(() => rmSync(home, { recursive: true, force: true }));
      const stdout = await runUpstreamPython(t, SCRIPT, [sdk], {
        FUNCX_URL: live.url, FUNCX_TOKEN: live.adminToken, FUNCX_ENDPOINT_ID: endpoint.endpointId, HOME: home,
      });
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      t.is(out.function_record_runtime, 'python');
      t.is(out.hello, 'Hello World!');
      t.is(out.sum, 15);
      // dill round-trips Python objects: date.today() comes back a datetime.date
      t.is(out.date_type, 'date');
      t.true(out.date_is_today);
      // The remote exception is re-raised with its traceback.
      t.regex(out.failure, /Exception: deterministic failure/);
      t.regex(out.failure, /Traceback/);
      t.deepEqual(out.squares, [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
      // Three identical calls in the client's one task group are three tasks (no de-duplication).
      t.is(new Set(out.pi_task_ids).size, 3);
      for (const estimate of out.pi) t.true(estimate > 3 && estimate < 3.3, `pi estimate ${estimate}`);
      t.is(out.endpoint_status, 'online');
    });
  }
}
