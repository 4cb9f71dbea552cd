/**
 * One shard of the idle bench's simulated agents, in a process of its own (forked by
 * idleEndpoints.ts). Each process has its own open-file limit: 10,000 agents hold about 20,000
 * sockets (a waiting poll and a kept-alive heartbeat connection each), more than this container
 * lets one process open, so the bench spreads them over shards of at most SHARD_SIZE agents.
 *
 * Protocol over the IPC channel: the parent sends one `ShardOrder`; the shard answers `count`
 * with a `ShardCount` at any time, and `stop` with a last `ShardCount` before it exits.
 */
import { call } from './httpCall.js';
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
}

function runShard(order: ShardOrder): { loops: RequestLoops; count: () => ShardCount; done: Promise<unknown> } {
  const loops = new RequestLoops();
  let polls = 0;
  let heartbeats = 0;
  const { url, pollWaitS, heartbeatS } = order;
  const report = (i: number) => ({ total_workers: 4, idle_workers: 4, outstanding_tasks: 0, pending_tasks: 0, hostname: `node-${i}.example.org` });
  const agents = order.endpoints.flatMap((e) => {
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
  return { loops, count: () => ({ polls, heartbeats, failures: loops.failures }), done: Promise.all(agents) };
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
