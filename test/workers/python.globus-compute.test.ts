/**
 * The python worker runs what the upstream SDKs send: code packed with each
 * code strategy (01 dill, 03/04 by source, 10 combined), arguments with each
 * data strategy (00 dill, 11 JSON), results in the format the arguments came
 * in, and a clear task error when dill is missing. The packing is done by the
 * real upstream serializer (globus-compute-sdk 2.34.0, FUNCX_UPSTREAM_SDKS).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { packageRoot } from '../../src/util/paths.js';
import { UPSTREAM_PYTHONPATH, upstreamMissing } from '../helpers/upstreamSdks.js';
import { never, startExecutor, task } from './helpers.js';
import type { TaskToRun } from '../../endpoint/execution.js';
import { requireRealPart } from '../helpers/realPart.js';

const FIXTURES = path.join(packageRoot(), 'test', 'upstream', 'pack_fixtures.py');
const PYTHON = '/usr/bin/python3'; // Debian's python3-dill is installed for it
const missing = upstreamMissing();

const upstreamPython = (args: string[], input = '') =>
  execFileSync(PYTHON, [FIXTURES, ...args], { input, encoding: 'utf8', env: { ...process.env, PYTHONPATH: UPSTREAM_PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1' } });

interface Packed { code: Record<string, string>; fails: Record<string, string>; payload: Record<string, string>; date_payload: Record<string, string> }

const upstreamTask = (source: string, payload: string): TaskToRun =>
  task({ runtime: 'python', source, codeSerializer: 'globus-compute', payload, serializer: 'globus-compute' });

if (requireRealPart('python worker: globus-compute formats', missing)) {
  const packed = JSON.parse(upstreamPython(['pack'])) as Packed;
  const decode = (result: string) => JSON.parse(upstreamPython(['unpack'], result)) as { repr: string; type: string };

  test('every code strategy (01, 03, 04, 10) with every data strategy (00, 11) runs; the result comes back in the arguments\' format', async (t) => {
    const { executor } = await startExecutor(t, { pythonInterpreter: PYTHON });
    for (const [codeStrategy, code] of Object.entries(packed.code)) {
      for (const [dataStrategy, payload] of Object.entries(packed.payload)) {
        const outcome = await executor.run(upstreamTask(code, payload), never);
        t.is(outcome.status, 'success', `${codeStrategy}/${dataStrategy}: ${JSON.stringify(outcome)}`);
        if (outcome.status !== 'success') continue;
        t.is(outcome.resultSerializer, 'globus-compute');
        t.true(outcome.result.startsWith(`${dataStrategy}\n`), `${codeStrategy}/${dataStrategy} result ${outcome.result}`);
        t.deepEqual(decode(outcome.result), { repr: '14', type: 'int' }, `${codeStrategy}/${dataStrategy}`);
      }
    }
  });

  test('a dill result round-trips Python objects; JSON arguments cannot carry one back, and say so', async (t) => {
    const { executor } = await startExecutor(t, { pythonInterpreter: PYTHON });
    const viaDill = await executor.run(upstreamTask(packed.code['10'], packed.date_payload['00']), never);
    t.is(viaDill.status, 'success');
    if (viaDill.status === 'success') t.deepEqual(decode(viaDill.result), { repr: "{'value': 'datedatedate', 'when': datetime.date(2026, 11, 30)}", type: 'dict' });
    const viaJson = await executor.run(upstreamTask(packed.code['10'], packed.date_payload['11']), never);
    t.like(viaJson, { status: 'failed', exception: { type: 'TaskResultNotSerializable' } });
    if (viaJson.status === 'failed') t.regex(viaJson.exception.message, /result of type dict is not JSON-serializable \(the task's arguments came as JSON, strategy 11\)/);
  });

  test('the user\'s exception comes back with its traceback; a bad payload is the payload\'s fault', async (t) => {
    const { executor } = await startExecutor(t, { pythonInterpreter: PYTHON });
    const failed = await executor.run(upstreamTask(packed.fails['04'], packed.date_payload['11']), never);
    t.like(failed, { status: 'failed', exception: { type: 'ValueError', message: 'bad date' } });
    if (failed.status === 'failed') t.regex(failed.exception.traceback ?? '', /Traceback[\s\S]*raise ValueError\("bad %s" % x\)[\s\S]*ValueError: bad date/);
    const garbled = await executor.run(upstreamTask(packed.code['04'], '12\n11\n[1]'), never);
    t.like(garbled, { status: 'failed', exception: { type: 'TaskPayloadInvalid' } });
  });

  test('without dill: by-value code (01) fails naming dill and the Python version; by-source code with JSON data still runs', async (t) => {
    // An interpreter whose `import dill` fails: Debian's python3 with a dill that refuses to import first on its path.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-nodill-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, 'dill.py'), 'raise ImportError("dill is hidden for this test")\n');
    const interpreter = path.join(dir, 'python-without-dill');
    writeFileSync(interpreter, `#!/bin/sh\nPYTHONPATH='${dir}' exec ${PYTHON} "$@"\n`);
    chmodSync(interpreter, 0o755);
    const { executor } = await startExecutor(t, { pythonInterpreter: interpreter });
    const byValue = await executor.run(upstreamTask(packed.code['01'], packed.payload['11']), never);
    t.like(byValue, { status: 'failed', exception: { type: 'DillNotAvailable' } });
    if (byValue.status === 'failed') t.regex(byValue.exception.message, /serialized by value with dill \(strategy 01\), and this worker's Python \(3\.\d+\.\d+\) has no dill \(install python3-dill/);
    const bySource = await executor.run(upstreamTask(packed.code['04'], packed.payload['11']), never);
    t.like(bySource, { status: 'success', result: '11\n14' });
  });
}
