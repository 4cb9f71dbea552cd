/**
 * A long-lived JavaScript worker: the node counterpart of python_worker.py,
 * speaking the same protocol (protocol.ts) on fds 3 and 4 while the user's
 * console output goes to stdout/stderr.
 *
 * A function's source is evaluated once per function id (then cached):
 * - entry point null: the source is one function expression, e.g.
 *   "function double(x) { return 2 * x }" or "async (x) => x + 1";
 * - entry point set: the source defines named functions and the entry point
 *   names the one to call.
 * The source runs like `new Function` code (sloppy mode, the worker's global
 * scope) with `require` in scope (this file is an ES module, so none would
 * exist otherwise); `import()` works where node offers vm's main-context
 * loader (vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER, node 20.19+).
 * json payloads only: args are passed positionally, and non-empty kwargs as
 * one last object argument (JavaScript has no keyword arguments).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import vm, { runInThisContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import type { RemoteException } from '../execution.js';
import { REPLIES_FD, REQUESTS_FD, type ReplyMessage, type WorkerRequest } from './protocol.js';

type UserFunction = (...args: unknown[]) => unknown;

/** Compiled functions kept per worker; the oldest are dropped first. */
const CACHE_SIZE = 256;
const cache = new Map<string, UserFunction>();
const userRequire = createRequire(import.meta.url);

/** A failure the worker reports under its own type name (not the user's exception). */
class TaskFailure extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
  }
}

function loadFunction(request: WorkerRequest): { fn: UserFunction; cached: boolean } {
  const digest = createHash('sha256').update(request.source).digest('hex');
  const key = `${request.function_id}/${request.entry_point ?? ''}/${digest}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // re-insert: Map order is our LRU order
    cache.set(key, hit);
    return { fn: hit, cached: true };
  }
  const fn = compile(request.function_id, request.source, request.entry_point);
  cache.set(key, fn);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return { fn, cached: false };
}

function compile(functionId: string, source: string, entryPoint: string | null): UserFunction {
  let factory: (req: NodeJS.Require) => unknown;
  try {
    const body = entryPoint === null
      ? `return (${source.trim().replace(/;+$/, '')}\n)`
      : `${source}\nreturn ${entryPoint}`;
    // Like new Function (global scope, sloppy mode), but wrapped on the source's first line and
    // named, so stack frames read `at double (<funcx function ID>:1:30)`.
    factory = runInThisContext(`(function (require) {${body}\n})`, {
      filename: `<funcx function ${functionId}>`,
      importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    }) as typeof factory;
  } catch (error) {
    throw new TaskFailure('FunctionSourceInvalid', `the function's source does not compile: ${(error as Error).message}`);
  }
  let fn: unknown;
  try {
    fn = factory(userRequire);
  } catch (error) {
    // Only a missing entry point fails here (ReferenceError); anything else the module code threw is the user's.
    if (entryPoint !== null && error instanceof ReferenceError && error.message.includes(entryPoint)) {
      throw new TaskFailure('EntryPointNotFound', `the function's source defines no ${entryPoint}`);
    }
    throw error;
  }
  if (typeof fn !== 'function') {
    throw new TaskFailure('EntryPointNotFound', entryPoint === null
      ? `the function's source evaluates to a ${typeof fn}, not a function`
      : `${entryPoint} in the function's source is a ${typeof fn}, not a function`);
  }
  return fn as UserFunction;
}

function decodeArgs(request: WorkerRequest): unknown[] {
  if (request.serializer !== 'json') {
    throw new TaskFailure('SerializerNotAllowed', `the javascript runtime takes json payloads only, not ${request.serializer}`);
  }
  let data: { args?: unknown[]; kwargs?: Record<string, unknown> };
  try {
    data = request.payload ? JSON.parse(request.payload) : {};
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('expected a JSON object {"args": [...], "kwargs": {...}}');
  } catch (error) {
    throw new TaskFailure('TaskPayloadInvalid', `cannot decode the json payload: ${(error as Error).message}`);
  }
  const args = Array.isArray(data.args) ? [...data.args] : [];
  if (data.kwargs && Object.keys(data.kwargs).length > 0) args.push(data.kwargs);
  return args;
}

function encodeResult(result: unknown): string {
  try {
    return JSON.stringify(result) ?? 'null'; // undefined (no return value) becomes null
  } catch (error) {
    const type = (result as object | null)?.constructor?.name ?? typeof result;
    throw new TaskFailure('TaskResultNotSerializable', `result of type ${type} is not JSON-serializable: ${(error as Error).message}`);
  }
}

/** Exception type names are capped by the results schema (schemas/endpoint-results.json). */
const TYPE_MAX_CHARS = 256;

/**
 * What a thrown value says about itself, whatever it is: user code may throw null, a string,
 * or an Error whose name/stack/message are numbers or getters that throw. Never throws.
 */
function describe(error: unknown): RemoteException {
  try {
    if (error instanceof TaskFailure) return { type: error.type, message: error.message };
    if (error instanceof Error) {
      const name = safeString(error.name);
      const stack = error.stack === undefined ? '' : safeString(error.stack);
      return {
        type: (name || 'Error').slice(0, TYPE_MAX_CHARS),
        message: safeString(error.message),
        ...(stack && { traceback: userStack(stack) }),
      };
    }
    return { type: 'Error', message: `non-Error value thrown: ${safeString(error)}` };
  } catch {
    return { type: 'Error', message: 'a value was thrown that cannot be described' };
  }
}

/** String(value), or '' when even that throws (a symbol is fine; an object whose toString throws is not). */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '';
  }
}

const WORKER_FILE = fileURLToPath(import.meta.url);

/** The stack without this worker's own frames and node's internals: what the user's code did. */
function userStack(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => !/^\s+at /.test(line) || !(line.includes(WORKER_FILE) || line.includes('node:internal')))
    .join('\n');
}

async function runTask(request: WorkerRequest): Promise<Omit<ReplyMessage, 'type' | 'task_id'>> {
  let cached = false;
  try {
    const loaded = loadFunction(request);
    cached = loaded.cached;
    const fn = loaded.fn; // called bare, as the user wrote it: no `this`, no `fn` in stack frames
    const result = await fn(...decodeArgs(request));
    return { status: 'success', result: encodeResult(result), cached };
  } catch (error) {
    return { status: 'failed', exception: describe(error), cached };
  }
}

/** The reply for one request; never rejects, so one bad task cannot silence the worker. */
async function replyTo(request: WorkerRequest): Promise<object> {
  try {
    return { type: 'reply', task_id: request.task_id, ...(await runTask(request)) };
  } catch (error) {
    return {
      type: 'reply', task_id: request.task_id, status: 'failed', cached: false,
      exception: { type: 'WorkerError', message: `the worker could not report the task's outcome: ${safeString((error as Error)?.message)}` },
    };
  }
}

/**
 * The agent is gone (or stopping us): end at once, with everything this group started.
 * A task still running would otherwise go on in parallel with the ledger's retry.
 */
function leave(): never {
  try {
    process.kill(-process.pid, 'SIGKILL'); // we lead our group (spawned detached)
  } catch {
    // not a group leader (started by hand): just this process
  }
  process.exit(0);
}

/** How often the watchdog thread checks that the agent is still our parent. */
const PARENT_POLL_MS = 500;

/**
 * A thread that ends this worker's whole group once the agent that started it is gone
 * (our parent pid changes when it dies, even by SIGKILL). It is a thread so that it
 * still runs while a task keeps the main thread busy (a synchronous loop never lets
 * the request channel's 'end' event fire).
 */
function watchParent(): void {
  const watchdog = new Worker(`
    const { workerData } = require('node:worker_threads');
    setInterval(() => {
      if (process.ppid === workerData.parent) return;
      try { process.kill(-workerData.self, 'SIGKILL'); } catch {}
      process.kill(workerData.self, 'SIGKILL');
    }, workerData.pollMs);
  `, { eval: true, workerData: { parent: process.ppid, self: process.pid, pollMs: PARENT_POLL_MS } });
  watchdog.unref(); // never what keeps the worker alive
  watchdog.on('error', (error) => console.error('parent watchdog failed:', error));
}

function main(): void {
  watchParent();
  // The user's stray callbacks must not kill a worker that other tasks will use; they are logged.
  process.on('uncaughtException', (error) => console.error('uncaught exception outside a task:', error));
  process.on('unhandledRejection', (reason) => console.error('unhandled rejection outside a task:', reason));
  const replies = new Socket({ fd: REPLIES_FD, readable: false, writable: true });
  const requests = new Socket({ fd: REQUESTS_FD, readable: true, writable: false });
  const send = (message: object) => replies.write(JSON.stringify(message) + '\n');
  // One task at a time, in order: the agent sends the next only after a reply anyway.
  let queue = Promise.resolve();
  createInterface({ input: requests }).on('line', (line) => {
    if (!line.trim()) return;
    const request = JSON.parse(line) as WorkerRequest;
    queue = queue
      .then(async () => { send(await replyTo(request)); })
      .catch((error: unknown) => console.error('could not send a reply:', error));
  });
  // EOF or close on fd 3: the agent is gone or stopping us; a running task is abandoned (the agent retries or has given up on it).
  requests.on('end', leave);
  requests.on('close', leave);
  send({ type: 'ready', pid: process.pid });
}

main();
