/**
 * The peers bench's rows as one interface, whatever drives them: a long-lived Python process
 * (python/peer_driver.py: funcX-TS's Python client or FuncXExecutor, or Celery's client) fed
 * one command at a time through a pipe, or the TypeScript SDK in this process. The bench can
 * then interleave every row's round trips one by one. Times are taken inside the driver,
 * around the work only: the pipe is in no figure.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { Client, Executor } from '../sdk/index.js';

export interface Peer {
  /** What FUNCX_BENCH_PEERS calls it. */
  key: string;
  /** The driver process, for the rows driven from another process (the CPU bench reads its times). */
  pid?: number;
  /** The row's label. */
  name: string;
  /** How it submits and collects, said in the output ("one group(...) of every task, then its get()"). */
  idiom: string;
  /** Workers started, connections made: a few tasks and round trips, not measured. */
  warm(): Promise<void>;
  /** Tasks/s of `tasks` no-ops, each checked. */
  throughput(tasks: number): Promise<number>;
  /** One task returning `i`, checked; its duration in ms. */
  roundTrip(i: number): Promise<number>;
  /** The Python client's other round trip, the upstream SDKs' idiom (run, wait_for_tasks, get_result): said and timed beside its call. */
  runWait?: { idiom: string; roundTrip(i: number): Promise<number> };
  close(): Promise<void>;
}

type Answer = Record<string, unknown> & { error?: string };

/** python/peer_driver.py KIND, up until close(): one JSON command per line, one JSON answer per line. */
export async function startPythonPeer(options: {
  key: string; name: string; python: string; driverDir: string; kind: 'funcx-client' | 'funcx-executor' | 'celery'; env: NodeJS.ProcessEnv;
}): Promise<Peer> {
  const child = spawn(options.python, [path.join(options.driverDir, 'peer_driver.py'), options.kind], {
    cwd: options.driverDir, env: options.env, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8192)));
  // A driver that cannot even start (no such Python) ends its output: the pending command then fails with this.
  child.once('error', (error) => (stderr += `\n${error.message}`));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let busy = false;

  const ask = async (command: Record<string, unknown>, timeoutMs: number): Promise<Answer> => {
    if (busy) throw new Error(`${options.key}: one command at a time`);
    busy = true;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      child.stdin!.write(`${JSON.stringify(command)}\n`);
      const line = await lines.next();
      if (line.done) throw new Error(`${options.key}: the driver ended (${child.exitCode ?? child.signalCode ?? 'killed after ' + timeoutMs + ' ms'}):\n${stderr}`);
      const answer = JSON.parse(line.value) as Answer;
      if (answer.error) throw new Error(`${options.key}: ${answer.error}\n${stderr}`);
      return answer;
    } finally {
      clearTimeout(timer);
      busy = false;
    }
  };
  const about = await ask({ op: 'about' }, 10 * 60_000);
  return {
    key: options.key,
    pid: child.pid,
    name: options.name.replace('{version}', String(about.version)),
    idiom: String(about.idiom),
    warm: async () => void (await ask({ op: 'warm' }, 10 * 60_000)),
    throughput: async (tasks) => Number((await ask({ op: 'throughput', tasks }, 30 * 60_000)).tasks_per_s),
    roundTrip: async (i) => Number((await ask({ op: 'round_trip', i }, 5 * 60_000)).ms),
    ...(typeof about.run_wait_idiom === 'string'
      ? { runWait: { idiom: about.run_wait_idiom, roundTrip: async (i: number) => Number((await ask({ op: 'run_wait_round_trip', i }, 5 * 60_000)).ms) } }
      : {}),
    close: async () => {
      child.stdin!.end(); // the driver ends at the end of its input
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      if (child.exitCode === null && child.signalCode === null) await exited;
      clearTimeout(timer);
    },
  };
}

/** JavaScript's `def noop(x=None): return x`. */
function noop(x: unknown = null): unknown {
  return x;
}

const TS_BATCH = 1000;
const WARM_TASKS = 20;
const WARM_ROUND_TRIPS = 10;

/** The TypeScript SDK's Client: batches of 1,000, waitForTasks, getBatchResult; a round trip is call(i). */
export async function startTypescriptClientPeer(name: string, settings: { serviceUrl: string; token: string; endpointId: string }): Promise<Peer> {
  const client = new Client(settings);
  const functionId = await client.registerFunction(noop);
  const roundTrip = async (i: number) => {
    const started = process.hrtime.bigint();
    if ((await client.call(i, { functionId })) !== i) throw new Error(`ts-client round trip ${i}: wrong result`);
    return milliseconds(started);
  };
  const throughput = (tasks: number) => clientThroughput(client, functionId, tasks);
  return {
    key: 'ts-client', name, idiom: `batches of ${TS_BATCH}, waitForTasks, getBatchResult; call(i)`,
    warm: async () => {
      await throughput(WARM_TASKS);
      for (let i = 0; i < WARM_ROUND_TRIPS; i++) await roundTrip(i);
    },
    throughput, roundTrip,
    close: async () => undefined,
  };
}

/** The TypeScript SDK's Executor: map over every task; a round trip is submit(noop, i). */
export async function startTypescriptExecutorPeer(name: string, settings: { serviceUrl: string; token: string; endpointId: string }): Promise<Peer> {
  const executor = new Executor({ client: new Client(settings) });
  const throughput = async (tasks: number) => {
    const started = process.hrtime.bigint();
    const results = await executor.map(noop, Array.from({ length: tasks }, (_, i) => i));
    if (results.some((value, i) => value !== i)) throw new Error('ts-executor map: wrong results');
    return tasks / (milliseconds(started) / 1000);
  };
  const roundTrip = async (i: number) => {
    const started = process.hrtime.bigint();
    if ((await executor.submit(noop, i)) !== i) throw new Error(`ts-executor round trip ${i}: wrong result`);
    return milliseconds(started);
  };
  return {
    key: 'ts-executor', name, idiom: 'Executor.map; await submit()',
    warm: async () => {
      await throughput(WARM_TASKS);
      for (let i = 0; i < WARM_ROUND_TRIPS; i++) await roundTrip(i);
    },
    throughput, roundTrip,
    close: () => executor.shutdown(),
  };
}

async function clientThroughput(client: Client, functionId: string, tasks: number): Promise<number> {
  const started = process.hrtime.bigint();
  const taskIds: string[] = [];
  for (let start = 0; start < tasks; start += TS_BATCH) {
    const batch = client.createBatch();
    for (let i = start; i < Math.min(tasks, start + TS_BATCH); i++) batch.add(i, { functionId });
    taskIds.push(...(await client.batchRun(batch)));
  }
  for (let start = 0; start < taskIds.length; start += TS_BATCH) {
    const chunk = taskIds.slice(start, start + TS_BATCH);
    let pending = chunk;
    while (pending.length > 0) pending = (await client.waitForTasks(pending, { timeoutS: 30 })).pending;
    const results = await client.getBatchResult(chunk);
    chunk.forEach((taskId, offset) => {
      if (results[taskId]?.result !== start + offset) throw new Error(`task ${taskId}: ${JSON.stringify(results[taskId])}`);
    });
  }
  return tasks / (milliseconds(started) / 1000);
}

function milliseconds(from: bigint): number {
  return Number(process.hrtime.bigint() - from) / 1e6;
}
