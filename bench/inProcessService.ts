/**
 * What the in-process benches (ledger, statements) share: a silent service on port 0, requests to
 * it over one keep-alive agent, a private MariaDB with a database created for the run, and the
 * moments a lease long-poll is (or no longer is) waiting on its wake-up.
 */
import http from 'node:http';
import { openDatabase } from '../src/db/connect.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startService, type RunningService } from '../src/service.js';
import { waitingLeasePollsOf } from '../src/http/waitingLeasePolls.js';
import { startMariaDb, type MariaDbServer } from '../test/helpers/mariadb.js';

/** The service with its defaults on `databaseUrl`, port 0, FUNCX_HOME `home`, logging nothing. */
export function startSilentService(databaseUrl: string, home: string): Promise<RunningService> {
  return startService(loadConfig({}, { port: 0, home, databaseUrl, logLevel: 'silent' }), { logger: createLogger('silent') });
}

/** POST with a bearer token over `agent`: the parsed answer, or an error with the status and the answer's start. */
export function poster(baseUrl: string, agent: http.Agent) {
  return (urlPath: string, bearer: string, body: unknown) =>
    new Promise<any>((resolve, reject) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const data = JSON.stringify(body);
      const request = http.request(baseUrl + urlPath, {
        method: 'POST', agent,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      }, (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => {
          try {
            const parsed = JSON.parse(text);
            if ((response.statusCode ?? 500) >= 300) reject(new Error(`${urlPath}: ${response.statusCode} ${text.slice(0, 300)}`));
            else resolve(parsed);
          } catch (error) {
            reject(error);
          }
        });
      });
      request.on('error', reject);
      request.end(data);
    });
}

/**
 * Until a lease long-poll is really waiting: its first look done and found nothing, so a submit now
 * finds it claimable and hands its task over (src/http/submitToWaitingPolls.ts), as a submit does
 * for an agent whose poll has long been waiting. (Its wake-up subscription, which this waited for
 * before, is made before that look: a submit could then race the look, and the poll lease the task itself.)
 */
export async function untilPollWaiting(service: RunningService): Promise<void> {
  const polls = waitingLeasePollsOf(service.deps.db);
  while (polls.size === 0) await new Promise((resolve) => setImmediate(resolve));
}

/** Until no poll waits any more (the last one answered and unsubscribed), before the next sample. */
export async function untilNoPollWaiting(service: RunningService): Promise<void> {
  while (service.deps.wakeups.size !== 0) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A private MariaDB server (started as the tests start it) with database `name` created on it,
 * for the run of `work`; the server is stopped and its folder removed after, pass or fail.
 */
export async function withMariaDbDatabase<T>(name: string, options: { flushLogAtTrxCommit?: number }, work: (databaseUrl: string, server: MariaDbServer) => Promise<T>): Promise<T> {
  const server = await startMariaDb(options);
  try {
    return await work(await createDatabase(server.url, name), server);
  } finally {
    await server.stop();
  }
}

/** Database `name` created on the server at `serverUrl` (mysql://…/), as the service wants it; its URL. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = openDatabase(serverUrl, { poolMax: 1 });
  try {
    await admin.raw(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.destroy();
  }
  return `${serverUrl}${name}`;
}
