/**
 * One shard of the idle bench's simulated agents, in a process of its own (forked by
 * idleEndpoints.ts). Each process has its own open-file limit: 10,000 agents hold about 20,000
 * sockets (a waiting poll and a kept-alive heartbeat connection each), more than this container
 * lets one process open, so the bench spreads them over shards of at most SHARD_SIZE agents.
 *
 * Protocol over the IPC channel: the parent sends one `ShardOrder`; the shard answers `count`
 * with a `ShardCount` at any time, and `stop` with a last `ShardCount` before it exits.
 */
import http from 'node:http';
import { callKeptAlive } from './httpCall.js';
import { RequestLoops, sleep } from './idleAgents.js';
import { pollStandsIn, type LastHeartbeat, type OpenPoll } from '../endpoint/agent/pollStandsIn.js';

/** Agents per shard: about 5,000 sockets, under the 20,000 descriptors this container lets a process open. */
export const SHARD_SIZE = 2500;

export interface ShardOrder {
  url: string;
  endpoints: { id: string; credential: string; index: number }[];
  pollWaitS: number;
  heartbeatS: number;
}

export interface ShardCount {
  polls: number;
  heartbeats: number;
  /** Heartbeats the agent's rule skipped, its open poll standing for them (endpoint/agent/pollStandsIn.ts). */
  skipped: number;
  failures: number;
  /** The commonest failures' messages, with how many. */
  failedWith: [string, number][];
}

function runShard(order: ShardOrder): { loops: RequestLoops; count: () => ShardCount; done: Promise<unknown> } {
  const loops = new RequestLoops();
  let polls = 0;
  let heartbeats = 0;
  let skipped = 0;
  const { url, pollWaitS, heartbeatS } = order;
  // Each simulated agent has its own connection pool, as each real one does: its waiting poll's
  // socket, and one kept between heartbeats.
  const pools: http.Agent[] = [];
  const report = (i: number) => ({ total_workers: 4, idle_workers: 4, outstanding_tasks: 0, pending_tasks: 0, hostname: `node-${i}.example.org` });
  const agents = order.endpoints.flatMap((e) => {
    const pool = new http.Agent({ keepAlive: true });
    pools.push(pool);
    const call = (...args: Parameters<typeof callKeptAlive> extends [unknown, ...infer Rest] ? Rest : never) => callKeptAlive(pool, ...args);
    const start = Math.random() * pollWaitS * 1000; // out of step, as agents started at different times are
    // The agent's own rule: while a poll is open and the service said polls stand for heartbeats, a heartbeat repeating the report is skipped.
    let openPoll: OpenPoll | undefined;
    let idleHeartbeatS: number | undefined;
    let last: LastHeartbeat | undefined;
    const reportText = JSON.stringify(report(e.index));
    const pollLoop = async () => {
      await sleep(start);
      while (!loops.stopped) {
        openPoll = { startedAt: Date.now(), idleHeartbeatS };
        const polled = await loops.attempt(async (signal) => {
          const answer = await call(url, e.credential, 'POST', `/v3/endpoints/${e.id}/lease`, { max_tasks: 1, wait_s: pollWaitS }, signal) as { idle_heartbeat_s?: number };
          idleHeartbeatS = answer.idle_heartbeat_s;
        });
        openPoll = undefined;
        if (polled) polls += 1;
        else if (!loops.stopped) await sleep(1000);
      }
    };
    const heartbeatLoop = async () => {
      await sleep(start);
      while (!loops.stopped) {
        const now = Date.now();
        if (pollStandsIn({ poll: openPoll, pollWaitMs: pollWaitS * 1000, last, report: reportText, leases: 0, unacknowledged: 0, now })) skipped += 1;
        else if (await loops.attempt((signal) => call(url, e.credential, 'POST', `/v3/endpoints/${e.id}/heartbeat`, report(e.index), signal))) {
          heartbeats += 1;
          last = { at: now, report: reportText };
        }
        await Promise.race([sleep(heartbeatS * 1000), loops.whenStopped]);
      }
    };
    return [pollLoop(), heartbeatLoop()];
  });
  const done = Promise.all(agents).finally(() => pools.forEach((pool) => pool.destroy()));
  return { loops, count: () => ({ polls, heartbeats, skipped, failures: loops.failures, failedWith: [...loops.failuresByMessage].sort((a, b) => b[1] - a[1]).slice(0, 3) }), done };
}

if (process.send) {
  let shard: ReturnType<typeof runShard> | undefined;
  process.on('message', (message: ShardOrder | 'count' | 'stop') => {
    if (message === 'count') process.send!(shard!.count());
    else if (message === 'stop') {
      shard!.loops.stop();
      void shard!.done.then(() => process.send!(shard!.count(), () => process.exit(0)));
    } else shard = runShard(message);
  });
  // The parent gone (the bench killed): no orphaned agents.
  process.on('disconnect', () => process.exit(0));
}
