/**
 * The peers bench's pipe-fed Python driver (bench/python/peer_driver.py through bench/peerDriver.ts),
 * on a real service (SQLite, port 0) and a real endpoint process with Python workers: each command
 * does the work it is asked for (counted in the ledger), answers with its own figure, and a driver
 * that cannot start answers with its error instead of leaving the bench waiting.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPythonPeer } from '../../bench/peerDriver.js';
import { startLiveService } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DRIVER_DIR = path.join(REPO, 'bench', 'python');
const PYTHONPATH = [DRIVER_DIR, path.join(REPO, 'sdk', 'python')].join(path.delimiter);
/** Without FUNCX_*: the driver is configured only by what the test gives it. */
const baseEnv = () => Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FUNCX_')));

test('the funcx-client driver runs exactly the tasks it is asked for and answers each command with its figure', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const endpoint = await startEndpointProcess(t, live);
  const peer = await startPythonPeer({
    key: 'python-client', name: 'funcX-TS {version}', python: 'python3', driverDir: DRIVER_DIR, kind: 'funcx-client',
    env: { ...baseEnv(), FUNCX_SERVICE_URL: live.url, FUNCX_TOKEN: live.adminToken, FUNCX_ENDPOINT_ID: endpoint.endpointId, PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1' },
  });
  let closed = false;
  t.teardown(() => (closed ? undefined : peer.close()));
  t.regex(peer.name, /^funcX-TS \d+\.\d+\.\d+$/, 'the version the driver reported replaces {version}');
  t.regex(peer.idiom, /wait_for_tasks/);
  const tasks = async () => Number(((await live.db('tasks').count({ n: '*' })) as { n: number }[])[0].n);

  t.is(peer.runWait?.idiom, 'run(i), wait_for_tasks, get_result');
  await peer.warm(); // 20 tasks in a batch, then 10 round trips of each kind (call; run + wait)
  t.is(await tasks(), 40);
  const rate = await peer.throughput(40);
  t.true(Number.isFinite(rate) && rate > 0, `tasks/s ${rate}`);
  t.is(await tasks(), 80);
  const ms = await peer.roundTrip(7);
  t.true(Number.isFinite(ms) && ms > 0, `round trip ${ms} ms`);
  t.is(await tasks(), 81);
  const runWaitMs = await peer.runWait!.roundTrip(8);
  t.true(Number.isFinite(runWaitMs) && runWaitMs > 0, `run + wait round trip ${runWaitMs} ms`);
  t.is(await tasks(), 82);
  const done = (await live.db('tasks').whereNot('state', 'success').count({ n: '*' })) as { n: number }[];
  t.is(Number(done[0].n), 0, 'every task ran to success');
  await peer.close();
  closed = true;
});

test('a driver that cannot start answers with its error', async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-peer-driver-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  // No service anywhere: FUNCX_HOME is empty and the working folder has no .funcx either.
  const starting = startPythonPeer({
    key: 'unconfigured', name: 'x', python: 'python3', driverDir: DRIVER_DIR, kind: 'funcx-client',
    env: { ...baseEnv(), HOME: home, FUNCX_HOME: home, PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1' },
  });
  const error = await t.throwsAsync(starting);
  t.regex(error!.message, /^unconfigured: ConfigurationError: /, 'the answered error, not a driver that ended silently');
});
