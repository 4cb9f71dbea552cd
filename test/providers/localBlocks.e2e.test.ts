/**
 * An endpoint whose workers run in blocks of the local provider: real agent,
 * real worker managers (one per block, a process group each) connecting back
 * over TCP on 127.0.0.1, real workers. Tasks block on marker files the test
 * creates, so no step depends on timing.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { serviceTest, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';

const BLOCKING = `def blocking(marker, pidfile):
    import os, time
    with open(pidfile, "a") as f:
        f.write("%d %d\\n" % (os.getpid(), os.getppid()))
    while not os.path.exists(marker):
        time.sleep(0.02)
    return os.getppid()
`;

export const localBlocks = (overrides: Record<string, unknown> = {}) => ({
  provider: {
    type: 'local',
    init_blocks: 0,
    min_blocks: 0,
    max_blocks: 2,
    max_workers_per_node: 2,
    max_idletime: '1s',
    strategy_period: '200ms',
    listen_address: '127.0.0.1',
    listen_port: 0,
    manager_heartbeat_period: '200ms',
    manager_timeout: '10s',
    ...overrides,
  },
});

async function details(live: LiveService, endpointId: string) {
  const status = await live.call('GET', `/v3/endpoints/${endpointId}/status`);
  return status.body.logs?.[0]?.details as { blocks: { block_id: string; state: string; managers: { running: number }[] }[]; waiting_for_nodes: number; listen_port: number } | undefined;
}

/** Sends one line to the agent's manager port; resolves with its first answer. */
function askManagerPort(port: number, message: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(JSON.stringify(message) + '\n'));
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      buffered += chunk;
      if (buffered.includes('\n')) {
        socket.destroy();
        resolve(JSON.parse(buffered.slice(0, buffered.indexOf('\n'))));
      }
    });
    socket.on('error', reject);
  });
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

const leaseSettings = { leaseTimeout: '30s', reapInterval: '100ms', maxRetries: 3 };

serviceTest('local blocks: tasks run in worker managers; scale out to max_blocks under load, in when idle', async (t, live) => {
  const marker = path.join(live.database.dir, 'go');
  const pidfile = path.join(live.database.dir, 'pids');
  const endpoint = await startEndpointProcess(t, live, { config: localBlocks() });
  const secret = statSync(path.join(endpoint.paths.dir, 'manager.secret'));
  t.is(secret.mode & 0o777, 0o600);
  const fn = await registerPython(live, BLOCKING, 'blocking');
  const ids = await submit(live, endpoint.endpointId, fn, [1, 2, 3, 4, 5].map(() => [marker, pidfile]));

  // 2 blocks x 2 slots: four tasks run at once, the fifth waits.
  await waitFor(() => lines(pidfile).length === 4, 'four tasks to run on two blocks', 90_000);
  const managers = new Set(lines(pidfile).map((l) => l.split(' ')[1]));
  t.is(managers.size, 2, 'two managers (one per block) ran the workers');
  t.false(managers.has(String(endpoint.child.pid)), 'workers are not the agent\'s own');
  await waitFor(async () => (await details(live, endpoint.endpointId))?.blocks.filter((b) => b.managers.length > 0).length === 2, 'the status to list two connected blocks');
  const busy = (await details(live, endpoint.endpointId))!;
  t.is(busy.blocks.length, 2, JSON.stringify(busy));

  // The manager port takes only hellos with the endpoint's secret, for a block it is waiting for.
  const secretText = readFileSync(path.join(endpoint.paths.dir, 'manager.secret'), 'utf8').trim();
  const hello = { type: 'hello', block_id: busy.blocks[0].block_id, manager_id: 'intruder', hostname: 'x', pid: 1, slots: 8 };
  t.deepEqual(await askManagerPort(busy.listen_port, { ...hello, secret: 'guess' }), { type: 'refused', reason: 'wrong secret' });
  t.deepEqual(await askManagerPort(busy.listen_port, { ...hello, secret: secretText, block_id: 'b99' }), { type: 'refused', reason: 'block b99 is not one this agent is waiting for' });

  writeFileSync(marker, '');
  const done = await waitForTasks(live, ids);
  for (const id of ids) t.is(done[id].status, 'success');
  t.is(new Set(ids.map((id) => done[id].result)).size <= 2, true);

  // Idle past max_idletime: both blocks end.
  await waitFor(async () => (await details(live, endpoint.endpointId))?.blocks.length === 0, 'the blocks to scale in', 60_000);
  t.regex(endpoint.output(), /"msg":"ending block"/);
  t.regex(endpoint.output(), /idle for max_idletime/);
}, leaseSettings);

serviceTest('local blocks: a block killed mid-task loses its tasks (WorkerLost) and they are retried on a new block', async (t, live) => {
  const marker = path.join(live.database.dir, 'go');
  const pidfile = path.join(live.database.dir, 'pids');
  const endpoint = await startEndpointProcess(t, live, { config: localBlocks({ max_blocks: 1, init_blocks: 1 }) });
  const fn = await registerPython(live, BLOCKING, 'blocking');
  const ids = await submit(live, endpoint.endpointId, fn, [[marker, pidfile], [marker, pidfile]]);
  await waitFor(() => lines(pidfile).length === 2, 'both tasks to start on the block');
  const managerPid = Number(lines(pidfile)[0].split(' ')[1]);
  // The whole block, as a node failure would: its process group.
  process.kill(-managerPid, 'SIGKILL');
  await waitFor(() => lines(pidfile).length === 4, 'both tasks to start again on a new block', 90_000);
  writeFileSync(marker, '');
  const done = await waitForTasks(live, ids);
  for (const id of ids) {
    t.is(done[id].status, 'success');
    t.is(done[id].attempts, 2, JSON.stringify(done[id].details) + endpoint.output().split('\n').filter((l) => /warn|lost|block|manager|error/i.test(l)).join('\n'));
    t.deepEqual(done[id].details.attempt_history.map((a: { reason: string }) => a.reason), ['WorkerLost']);
    t.not(done[id].result, managerPid, 'the retry ran under another manager');
  }
}, leaseSettings);

serviceTest('local blocks: a manager that stops heartbeating is lost; its task is retried', async (t, live) => {
  const marker = path.join(live.database.dir, 'go');
  const pidfile = path.join(live.database.dir, 'pids');
  const endpoint = await startEndpointProcess(t, live, { config: localBlocks({ max_blocks: 1, init_blocks: 1, manager_timeout: '4s' }) }); // 20 missed heartbeats: a starved but live manager on a loaded machine is not lost
  const fn = await registerPython(live, BLOCKING, 'blocking');
  const [id] = await submit(live, endpoint.endpointId, fn, [[marker, pidfile]]);
  await waitFor(() => lines(pidfile).length === 1, 'the task to start');
  const managerPid = Number(lines(pidfile)[0].split(' ')[1]);
  process.kill(managerPid, 'SIGSTOP'); // frozen: connected, but silent
  t.teardown(() => {
    try {
      process.kill(-managerPid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  await waitFor(() => /sent nothing for/.test(endpoint.output()), 'the agent to notice the silence', 60_000);
  await waitFor(() => lines(pidfile).length === 2, 'the task to start again', 90_000);
  writeFileSync(marker, '');
  const done = await waitForTasks(live, [id]);
  t.is(done[id].status, 'success');
  t.is(done[id].attempts, 2);
  t.deepEqual(done[id].details.attempt_history.map((a: { reason: string }) => a.reason), ['WorkerLost']);
  t.not(done[id].result, managerPid);
}, leaseSettings);

serviceTest('local blocks: a task waiting for a block that never comes is reported waiting_for_nodes, and handed back on stop', async (t, live) => {
  const record = path.join(live.database.dir, 'record');
  // The block's worker_init never finishes: its manager never connects.
  const stuck = await startEndpointProcess(t, live, { config: { ...localBlocks({ max_blocks: 1, worker_init: ['sleep 600'] }), grace_period: '60s' } });
  const fn = await registerPython(live, `def where(record):\n    open(record, "a").write("ran\\n")\n    return 1\n`, 'where');
  const [id] = await submit(live, stuck.endpointId, fn, [[record]]);
  // The block started (its process group runs) but its manager never connected.
  await waitFor(async () => {
    const status = await details(live, stuck.endpointId);
    return status?.waiting_for_nodes === 1 && status.blocks.length === 1 && status.blocks[0].state === 'running';
  }, 'the status to report the task waiting for nodes, and the block started', 60_000);
  t.deepEqual((await details(live, stuck.endpointId))!.blocks[0].managers, []);

  stuck.signal('SIGTERM');
  t.is(await stuck.exited, 0);
  t.regex(stuck.output(), /tasks still waiting for a worker are handed back/);
  t.notRegex(stuck.output(), /grace period over/);
  t.false(existsSync(record));

  // Handed back, not lost: the next endpoint (workers in the agent) runs it as attempt 1.
  const next = await startEndpointProcess(t, live, { home: path.dirname(stuck.paths.dir) });
  t.is(next.endpointId, stuck.endpointId);
  const done = await waitForTasks(live, [id]);
  t.is(done[id].status, 'success');
  t.is(done[id].attempts, 1, JSON.stringify(done[id].details) + stuck.output().split('\n').filter((l) => /hand|releas|lost|warn|leased|stopping|msg/i.test(l)).slice(-40).join('\n'));
});

serviceTest('local blocks: a block whose manager never connects is ended after manager_start_timeout and replaced', async (t, live) => {
  // worker_init hangs only in the first block: the marker file lets the second one through.
  const once = path.join(live.database.dir, 'first-block-seen');
  const endpoint = await startEndpointProcess(t, live, {
    config: localBlocks({ max_blocks: 1, manager_start_timeout: '3s', worker_init: [`if [ ! -e ${once} ]; then touch ${once}; sleep 600; fi`] }),
  });
  const fn = await registerPython(live, 'def one():\n    return 1\n', 'one');
  const [id] = await submit(live, endpoint.endpointId, fn, [[]]);
  const done = await waitForTasks(live, [id]);
  t.is(done[id].status, 'success');
  t.is(done[id].attempts, 1); // it waited for a node; nothing was lost
  // The first block is ended for its silent manager; a replacement connects. On a loaded
  // machine a replacement's own Python start can also take longer than the 3 s timeout, so
  // the claim is "a later block", not "the second".
  t.regex(endpoint.output(), /"blockId":"b1-[0-9a-f]{6}"[^\n]*"why":"no manager connected within manager_start_timeout \(3s\)"/);
  t.notRegex(endpoint.output(), /"blockId":"b1-[0-9a-f]{6}"[^\n]*"msg":"worker manager connected"/);
  t.regex(endpoint.output(), /"blockId":"b([2-9]|\d\d+)-[0-9a-f]{6}"[^\n]*"msg":"worker manager connected"/);
});
