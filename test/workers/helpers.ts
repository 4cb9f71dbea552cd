/** Shared set-up for the executor tests: a real executor, its logs, and task builders. */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { ExecutionContext } from 'ava';
import { pino } from 'pino';
import type { Runtime, Serializer, TaskToRun } from '../../endpoint/execution.js';
import { createWorkerExecutor, type WorkerExecutor, type WorkerExecutorOptions } from '../../endpoint/workers/index.js';

export type LogEntry = Record<string, unknown> & { msg?: string };

export interface Harness {
  executor: WorkerExecutor;
  workDir: string;
  /** Every log entry so far (debug and up), parsed. */
  logs: LogEntry[];
}

/** A started executor with captured debug logs; stopped and cleaned up after the test. */
export async function startExecutor(t: ExecutionContext, options: Partial<WorkerExecutorOptions> = {}): Promise<Harness> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'funcx-workers-test-'));
  const logs: LogEntry[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const executor = createWorkerExecutor({ maxWorkers: 2, workDir, logger: pino({ level: 'debug' }, sink), ...options });
  await executor.start();
  t.teardown(async () => {
    await executor.stop();
    rmSync(workDir, { recursive: true, force: true });
  });
  return { executor, workDir, logs };
}

/** A signal that never fires, shared by many runs. */
export const never = new AbortController().signal;
setMaxListeners(0, never);

export function task(fields: Partial<TaskToRun> & { runtime: Runtime; source: string }): TaskToRun {
  return {
    taskId: randomUUID(),
    attempt: 1,
    functionId: randomUUID(),
    entryPoint: null,
    payload: JSON.stringify({ args: [], kwargs: {} }),
    serializer: 'json',
    walltimeMs: 60_000,
    ...fields,
  };
}

/** A python task with a json payload. */
export function pyTask(source: string, entryPoint: string | null, args: unknown[] = [], extra: Partial<TaskToRun> = {}): TaskToRun {
  return task({ runtime: 'python', source, entryPoint, payload: JSON.stringify({ args, kwargs: {} }), ...extra });
}

/** Runs python3 on `code` with `input` on stdin; its stdout, trimmed. */
export function python(code: string, input = ''): string {
  return execFileSync('python3', ['-c', code], { input, encoding: 'utf8' }).trim();
}

/** base64(pickle.dumps((args, kwargs))) from Python literals, made by a real python3. */
export function picklePayload(argsLiteral: string, kwargsLiteral = '{}'): string {
  return python(`import pickle, base64; print(base64.b64encode(pickle.dumps((${argsLiteral}, ${kwargsLiteral}))).decode())`);
}

/** repr() of what a base64 pickle decodes to, and its type's name, by a real python3. */
export function unpickle(serialized: string): { type: string; repr: string } {
  const out = python('import pickle, base64, sys; v = pickle.loads(base64.b64decode(sys.stdin.read())); print(type(v).__module__ + "." + type(v).__qualname__); print(repr(v))', serialized);
  const [type, ...repr] = out.split('\n');
  return { type, repr: repr.join('\n') };
}

export const serializers: Serializer[] = ['json', 'pickle'];

/** Waits until `condition` holds, checking every 10 ms (fails after `timeoutMs`). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The process is gone: no such pid, or only a zombie left for init to reap (not ours to wait for). */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw error;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Throws ESRCH for a pid that no longer exists: the brief's check, for direct children. */
export function assertNoSuchProcess(t: ExecutionContext, pid: number): void {
  const error = t.throws(() => process.kill(pid, 0));
  t.is((error as NodeJS.ErrnoException | undefined)?.code, 'ESRCH', `pid ${pid} still exists`);
}
