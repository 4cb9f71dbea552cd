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
  failures: number;
  /** The commonest failures' messages, with how many. */
  failedWith: [string, number][];
}

function runShard(order: ShardOrder): { loops: RequestLoops; count: () => ShardCount; done: Promise<unknown> } {
  const loops = new RequestLoops();
  let polls = 0;
  let heartbeats = 0;
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
    const pollLoop = async () => {
      await sleep(start);
      while (!loops.stopped) {
        if (await loops.attempt((signal) => call(url, e.credential, 'POST', `/v3/endpoints/${e.id}/lease`, { max_tasks: 1, wait_s: pollWaitS }, signal))) polls += 1;
        else if (!loops.stopped) await sleep(1000);
      }
    };
    const heartbeatLoop = async () => {
      await sleep(start);
      while (!loops.stopped) {
        if (await loops.attempt((signal) => call(url, e.credential, 'POST', `/v3/endpoints/${e.id}/heartbeat`, report(e.index), signal))) heartbeats += 1;
        await Promise.race([sleep(heartbeatS * 1000), loops.whenStopped]);
      }
    };
    return [pollLoop(), heartbeatLoop()];
  });
  const done = Promise.all(agents).finally(() => pools.forEach((pool) => pool.destroy()));
  return { loops, count: () => ({ polls, heartbeats, failures: loops.failures, failedWith: [...loops.failuresByMessage].sort((a, b) => b[1] - a[1]).slice(0, 3) }), done };
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
