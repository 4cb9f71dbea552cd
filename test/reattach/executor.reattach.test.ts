/**
 * Executors that reattach: a client process SIGKILLed mid-run after
 * submitting 2,000 tasks; a new process makes an executor on the same task
 * group, reload_tasks() gives it a future for every task (those finished
 * settled at once, the rest as they finish), and it collects every result,
 * none twice. For the TypeScript Executor, the project's Python
 * FuncXExecutor, and globus-compute-sdk 2.34.0's Executor (over AMQP).
 *
 * Determinism: tasks 1000..1999 wait for a gate file that the test creates
 * only after the new process has reattached, so at reattach time some tasks
 * are certainly finished (the first process saw one) and at least 1000 are
 * certainly not.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../src/util/paths.js';
import { startLiveService, type LiveService } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { rabbitmqMissing, startRabbitMq, type PrivateRabbit } from '../helpers/rabbitmq.js';
import { UPSTREAM_PYTHONPATH, upstreamMissing } from '../helpers/upstreamSdks.js';
import { requireRealPart } from '../helpers/realPart.js';

const TASKS = 2000;
const OPEN_BELOW = 1000;
const PYTHON_CLIENT = path.join(packageRoot(), 'test', 'reattach', 'python_client.py');
const TS_CLIENT = fileURLToPath(new URL('./tsClient.js', import.meta.url)); // beside this file, in whichever build

interface Client { command: string; args: string[]; env: Record<string, string> }

test('TypeScript Executor: a new process reattaches to a SIGKILLed one\'s 2,000 tasks and collects each result once', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  await killAndReattach(t, live, { command: process.execPath, args: [TS_CLIENT], env: {} });
});

test('Python FuncXExecutor: a new process reattaches to a SIGKILLed one\'s 2,000 tasks and collects each result once', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  await killAndReattach(t, live, { command: 'python3', args: [PYTHON_CLIENT, 'own'], env: { PYTHONPATH: path.join(packageRoot(), 'sdk', 'python') } });
});

const missing = upstreamMissing() ?? rabbitmqMissing();
if (requireRealPart('globus-compute-sdk 2.34 Executor reattach', missing)) {
  let rabbit: PrivateRabbit | undefined;
  test.before(async () => {
    rabbit = await startRabbitMq();
  });
  test.after.always(async () => {
    await rabbit?.stop();
  });

  test('globus-compute-sdk 2.34 Executor: reload_tasks in a new process reattaches to a SIGKILLed one\'s 2,000 tasks', async (t) => {
    const live = await startLiveService(t, 'sqlite', { amqpUrl: rabbit!.amqpUrl, amqpManagementUrl: rabbit!.managementUrl });
    await killAndReattach(t, live, { command: '/usr/bin/python3', args: [PYTHON_CLIENT, 'upstream'], env: { PYTHONPATH: UPSTREAM_PYTHONPATH } });
  });
}

async function killAndReattach(t: ExecutionContext, live: LiveService, client: Client): Promise<void> {
  t.timeout(15 * 60_000);
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 2, python: '/usr/bin/python3' } });
  const dir = mkdtempSync(path.join(tmpdir(), 'funcx-reattach-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const gate = path.join(dir, 'gate');
  const env = {
    ...client.env, HOME: dir, FUNCX_HOME: dir,
    FUNCX_SERVICE_URL: live.url, FUNCX_TOKEN: live.adminToken, FUNCX_ENDPOINT_ID: endpoint.endpointId,
  };

  const first = startClient(t, client.command, [...client.args, 'submit', String(TASKS), gate, String(OPEN_BELOW)], env);
  const { group } = await first.line((line) => 'group' in line);
  await first.line((line) => 'result' in line); // mid-run: a result in, the gated half certainly not
  first.kill();
  t.not(await first.exited, 0);

  const second = startClient(t, client.command, [...client.args, 'reattach', group as string], env);
  const reloaded = await second.line((line) => 'reloaded' in line);
  t.is(reloaded.reloaded, TASKS);
  t.true((reloaded.done_at_once as number) >= 1, 'the task the first process saw finish is settled at once');
  t.true((reloaded.done_at_once as number) <= OPEN_BELOW, 'the gated tasks are still pending');

  writeFileSync(gate, '');
  const { results } = await second.line((line) => 'results' in line);
  const values = Object.values(results as Record<string, number>).sort((a, b) => a - b);
  t.deepEqual(values, Array.from({ length: TASKS }, (_, i) => i * i), 'every result, none twice');
  t.is(await second.exited, 0);
  // Nothing was submitted twice either: the group holds exactly the first process's tasks.
  const view = await live.call('GET', `/v2/taskgroup/${group}?limit=1`);
  t.is(view.body.total, TASKS);
}

/** A client process whose stdout is JSON lines; `line(match)` awaits the first line that matches (bounded). */
function startClient(t: ExecutionContext, command: string, args: string[], env: Record<string, string>) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FUNCX_') && !name.startsWith('GLOBUS_')));
  const child = spawn(command, args, { env: { ...inherited, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop()!;
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part));
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
  let ended = false;
  void exited.then(() => (ended = true));
  t.teardown(async () => {
    if (!ended) child.kill('SIGKILL');
    await exited;
  });
  return {
    exited,
    kill: () => child.kill('SIGKILL'),
    async line(match: (line: Record<string, unknown>) => boolean, timeoutMs = 10 * 60_000): Promise<Record<string, unknown>> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find(match);
        if (found) return found;
        if (ended || Date.now() > deadline) throw new Error(`${path.basename(args[0])} ${args.slice(1, 3).join(' ')}: no such line (${ended ? 'it exited' : 'timed out'}):\n${stderr.slice(-4000)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
