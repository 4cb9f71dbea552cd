/**
 * What the idle benches (idle, fleet) share: a `funcx-service serve` process of its own (so its CPU,
 * memory and descriptors are its own), endpoints registered on it, and loops of simulated agents'
 * requests that one stop() ends at once, aborting the requests in flight.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test/helpers/mariadb.js';
import { call } from './httpCall.js';
import { benchServiceNodeFlags } from './serviceNodeFlags.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ServiceProcess {
  url: string;
  /** The admin token from quickstart.json. */
  token: string;
  pid: number;
  /** SIGTERM, then its exit awaited; its FUNCX_HOME removed. */
  stop(): Promise<void>;
}

/**
 * `node [the service's node flags] [nodeArgs] cli serve` on a free port and a temporary FUNCX_HOME, at log level warn (JSON),
 * with only PATH and `env` from outside; ready once quickstart.json is written and /healthz answers.
 */
export async function startServiceProcess(options: { cli: string; nodeArgs?: string[]; env?: Record<string, string> }): Promise<ServiceProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-service-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service: ChildProcess = spawn(process.execPath, [...benchServiceNodeFlags(), ...(options.nodeArgs ?? []), options.cli, 'serve'], {
    env: { PATH: process.env.PATH, FUNCX_HOME: path.join(dir, 'home'), FUNCX_PORT: String(port), FUNCX_LOG_LEVEL: 'warn', FUNCX_LOG_FORMAT: 'json', ...options.env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => service.once('exit', resolve));
  const stop = async () => {
    service.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const quickstart = path.join(dir, 'home', 'quickstart.json');
    for (let i = 0; ; i++) {
      try {
        const token = (JSON.parse(readFileSync(quickstart, 'utf8')) as { token: string }).token;
        await call(url, token, 'GET', '/healthz');
        return { url, token, pid: service.pid!, stop };
      } catch {
        if (i > 600 || service.exitCode !== null) throw new Error('the service did not start');
        await sleep(100);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `count` endpoints named prefix-N, 50 registrations at a time; past the admin's request budget, it waits and retries. */
export async function registerEndpoints(url: string, token: string, count: number, prefix = 'idle'): Promise<{ id: string; credential: string }[]> {
  const register = async (name: string) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call(url, token, 'POST', '/v3/endpoints', { name });
      } catch (error) {
        if (attempt > 120 || !String(error).includes('TooManyRequests')) throw error;
        await sleep(1000);
      }
    }
  };
  const endpoints: { id: string; credential: string }[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => register(`${prefix}-${i + j}`)));
    endpoints.push(...batch.map((e) => ({ id: e.endpoint_id as string, credential: e.credential as string })));
  }
  return endpoints;
}

/**
 * Many loops of requests ended by one stop(). One abort listener for all of them: a signal shared by
 * thousands of fetches would collect a listener per request.
 */
export class RequestLoops {
  /** Requests that failed before stop() (aborted ones are not failures). */
  failures = 0;
  /** How many failed with each message (its first 120 characters), so a bench can say why. */
  readonly failuresByMessage = new Map<string, number>();
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<AbortController>();
  /** Resolves at stop(): a loop's wait races it, so it ends at once. */
  readonly whenStopped: Promise<void>;

  constructor() {
    this.stopping.signal.addEventListener('abort', () => this.inFlight.forEach((request) => request.abort()));
    this.whenStopped = new Promise((resolve) => this.stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Runs one request with its own abort signal; whether it succeeded. */
  async attempt(work: (signal: AbortSignal) => Promise<unknown>): Promise<boolean> {
    const request = new AbortController();
    this.inFlight.add(request);
    try {
      await work(request.signal);
      return true;
    } catch (error) {
      if (!this.stopped) {
        this.failures += 1;
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        const message = `${String(error)}${cause ? ` (${cause})` : ''}`.slice(0, 120);
        this.failuresByMessage.set(message, (this.failuresByMessage.get(message) ?? 0) + 1);
      }
      return false;
    } finally {
      this.inFlight.delete(request);
    }
  }

  stop(): void {
    this.stopping.abort();
  }
}
