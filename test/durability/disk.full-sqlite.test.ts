/**
 * The service's FUNCX_HOME (SQLite ledger) and a local endpoint's home on a 24 MB tmpfs that
 * fills up: a submit is refused 507 StorageFull with Retry-After, reads keep answering, /readyz
 * says not ready and why, the episode is logged at error once; the TypeScript and Python SDKs
 * wait and retry a 507 until space is back; the endpoint keeps its tasks and does not exit; and
 * once the space is freed every accepted task finishes and the ledger is intact.
 */
import test, { type ExecutionContext } from 'ava';
import { requireRealPart } from '../helpers/realPart.js';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';
import { Client } from '../../sdk/index.js';
import { startLiveService, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { fillDisk, mountTmpfs, tmpfsUnavailable } from '../helpers/tmpfs.js';
import { SDK_PYTHON } from '../sdk-python/support.js';

const TITLE = 'a full disk under the SQLite ledger and the endpoint: 507 with Retry-After, reads answer, /readyz not ready, SDKs retry, no task lost';
const unavailable = tmpfsUnavailable();

/** Every log line of the service, parsed. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', 'funcx-service', sink), lines };
}

const refusals = (lines: Record<string, unknown>[]) => lines.filter((l) => l.msg === 'request refused: no room to write').length;

async function assertFullDiskAnswers(t: ExecutionContext, live: LiveService, endpointId: string, functionId: string, accepted: string[]): Promise<void> {
  const refused = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { serializer: 'json', tasks: { [functionId]: [JSON.stringify({ args: [99], kwargs: {} })] } } });
  t.is(refused.status, 507);
  t.deepEqual(refused.body, {
    code: 'StorageFull',
    reason: 'the database has no room to write (disk or table full); nothing was stored; try again once space is freed',
    http_status_code: 507,
  });
  t.is(refused.headers.get('retry-after'), '10');
  // Reads keep answering, many of them (each spends the shared rate-limit budget, a write).
  for (let i = 0; i < 30; i++) {
    const status = await live.call('POST', '/v2/batch_status', { body: { task_ids: accepted } });
    t.is(status.status, 200, JSON.stringify(status.body));
    t.deepEqual(Object.keys(status.body.results).sort(), [...accepted].sort());
  }
  t.is((await live.call('GET', `/v2/tasks/${accepted[0]}`)).status, 200);
  const ready = await live.call('GET', '/readyz');
  t.is(ready.status, 507);
  t.is(ready.body.code, 'StorageFull');
  t.regex(ready.body.reason, /^not ready: the database has no room to write since \S+Z \(.+\)$/);
}

if (requireRealPart(TITLE, unavailable)) {
  test(TITLE, async (t) => {
    t.timeout(300_000);
    const disk = await mountTmpfs(t, 24);
    const home = path.join(disk, 'home');
    const { logger, lines } = capturedLogger();
    const live = await startLiveService(t, 'sqlite', { home, databaseUrl: `sqlite://${path.join(home, 'funcx.sqlite3')}` }, { logger });

    // Tasks that run until the test lets them finish (a file outside the tmpfs), so their results come while the disk is full.
    const gate = path.join(os.tmpdir(), `funcx-disk-gate-${process.pid}-${Date.now()}`);
    t.teardown(() => rmSync(gate, { force: true }));
    const functionId = await registerPython(live, `import os, time\ndef gated(x):\n    for _ in range(3000):\n        if os.path.exists(${JSON.stringify(gate)}):\n            return x * 2\n        time.sleep(0.1)\n    raise RuntimeError('gate never opened')\n`, 'gated');
    const endpoint = await startEndpointProcess(t, live, { home: path.join(disk, 'endpoints'), config: { max_workers: 2 } });
    const accepted = await submit(live, endpoint.endpointId, functionId, [[1], [2], [3], [4]]);
    await waitFor(async () => (await live.call('POST', '/v2/batch_status', { body: { task_ids: accepted } })).body.results[accepted[0]].status === 'running', 'a task to run');

    const filler = fillDisk(disk);
    await assertFullDiskAnswers(t, live, endpoint.endpointId, functionId, accepted);
    // The tasks finish now; their results (and heartbeats, leases) are refused while the disk stays full.
    writeFileSync(gate, 'open');
    const before = refusals(lines);
    await waitFor(() => refusals(lines) >= before + 3, 'the endpoint\'s writes to be refused while the disk is full', 60_000);
    t.is(endpoint.child.exitCode, null, `the endpoint exited on a full disk:\n${endpoint.output()}`);

    // The TypeScript SDK waits out the 507 (Retry-After) and its submit passes once there is room.
    const client = new Client({ serviceUrl: live.url, token: live.adminToken, retry: { retries: 30, baseDelayMs: 200, maxDelayMs: 1000 } });
    const refusedBefore = refusals(lines);
    const tsSubmit = client.run(5, { endpointId: endpoint.endpointId, functionId });
    await waitFor(() => refusals(lines) > refusedBefore, 'the TypeScript SDK\'s submit to be refused', 60_000);
    rmSync(filler);
    const tsTask = await tsSubmit;
    t.true((client.http.sent.get('POST /v3/endpoints/:id/submit') ?? 0) >= 2, 'the SDK submitted again after the 507');
    await waitFor(async () => (await live.call('GET', '/readyz')).status === 200, '/readyz to be ready again', 60_000);

    // The Python SDK likewise, on a disk filled again.
    const refilled = fillDisk(disk);
    const python = runPythonSubmit(t, live, endpoint.endpointId, functionId);
    const pyRefusedBefore = refusals(lines);
    await waitFor(() => refusals(lines) > pyRefusedBefore || python.exited(), 'the Python SDK\'s submit to be refused', 60_000);
    rmSync(refilled);
    const pyOutput = await python.done;
    const pyTask = /^task (\S+)$/m.exec(pyOutput)?.[1];
    t.truthy(pyTask, pyOutput);

    // Every accepted task finishes, and the ledger is whole.
    const all = [...accepted, tsTask, pyTask!];
    const done = await waitForTasks(live, all, 180_000).catch(async (error: Error) => {
      const stuck = await live.call('POST', '/v2/batch_status', { body: { task_ids: all } });
      throw new Error(`${error.message}\n${JSON.stringify(stuck.body)}\nendpoint output:\n${endpoint.output().slice(-20_000)}`);
    });
    for (const id of accepted) t.is(done[id].status, 'success', JSON.stringify(done[id]));
    t.is(done[tsTask].status, 'success');
    t.is(done[pyTask!].status, 'success');
    t.is(endpoint.child.exitCode, null, 'the endpoint is still running');
    const [check] = await live.db.raw('PRAGMA integrity_check') as { integrity_check: string }[];
    t.is(check.integrity_check, 'ok');

    // The episode was logged at error once (the first refused write), not per request; and its end at info.
    const fullLines = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('the database has no room to write'));
    t.true(fullLines.length >= 1 && fullLines.length <= 3, `one error line per full episode (two episodes here), got ${fullLines.length}`);
    t.true(fullLines.every((l) => l.level === 50));
    t.true(lines.filter((l) => l.level === 50).length <= 3 + fullLines.length, JSON.stringify(lines.filter((l) => l.level === 50).map((l) => l.msg)));
    t.true(lines.some((l) => l.msg === 'the database has room to write again'));

    // The endpoint logs each episode of 507s once at warn (two fills here) and its end at info, not each retry.
    const agentLines = endpoint.output().split('\n').flatMap((l) => (l.startsWith('{') ? [JSON.parse(l) as { level: number; msg: string }] : []));
    const agentWarns = agentLines.filter((l) => l.level >= 40 && l.msg.startsWith('the service has no room to store'));
    // Two fills; a kind of call that passes mid-fill (an in-place write) may end an episode early, hence some slack.
    t.true(agentWarns.length >= 1 && agentWarns.length <= 4, `one warn line per episode, not per retry; got ${agentWarns.length}`);
    t.deepEqual(agentLines.filter((l) => l.level >= 40 && JSON.stringify(l).includes('StorageFull') && !agentWarns.includes(l)).map((l) => l.msg), [], 'a 507 logged at warn other than the episode line');
    t.true(agentLines.some((l) => l.level === 30 && l.msg.startsWith('the service stores again')));
  });
}

/** The Python client's run() against the service, in a child process; its output once it exits 0. */
function runPythonSubmit(t: ExecutionContext, live: LiveService, endpointId: string, functionId: string): { done: Promise<string>; exited: () => boolean } {
  const script = [
    'import sys',
    'from funcx_ts.client import FuncXClient',
    'client = FuncXClient(service_url=sys.argv[1], token=sys.argv[2], serializer="json", max_retries=30)',
    'print("task", client.run(6, endpoint_id=sys.argv[3], function_id=sys.argv[4]), flush=True)',
  ].join('\n');
  const cwd = path.join(os.tmpdir(), `funcx-disk-py-${process.pid}`);
  if (!existsSync(cwd)) mkdirSync(cwd);
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const child = spawn('python3', ['-c', script, live.url, live.adminToken, endpointId, functionId], {
    cwd,
    env: { PATH: process.env.PATH, HOME: cwd, PYTHONPATH: SDK_PYTHON, PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const done = new Promise<string>((resolve, reject) => child.once('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`python3 exited ${code}:\n${output}`)))));
  return { done, exited: () => child.exitCode !== null };
}
