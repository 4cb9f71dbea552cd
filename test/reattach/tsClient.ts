/**
 * A client process of the reattach test (executor.reattach.test.ts), on the
 * TypeScript SDK's Executor. `submit N GATE OPEN_BELOW`: submits N gated
 * squares, prints {"group"} once every task has an id, then {"result"} per
 * result, and waits (it is killed). `reattach GROUP`: reloadTasks(), prints
 * {"reloaded", "done_at_once"}, then {"results": {task_id: value}} once all are in.
 * Env: FUNCX_SERVICE_URL, FUNCX_TOKEN, FUNCX_ENDPOINT_ID.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { Executor } from '../../sdk/index.js';

const SOURCE = readFileSync(path.join(packageRoot(), 'test', 'reattach', 'gatedSquare.py'), 'utf8');
const say = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'submit') {
    const [count, gate, openBelow] = [Number(args[0]), args[1], Number(args[2])];
    const executor = new Executor({ batchWindowMs: 50 });
    const fn = { runtime: 'python' as const, source: SOURCE, entryPoint: 'gated_square' };
    const futures = Array.from({ length: count }, (_, i) => executor.submit<number>(fn, i, gate, openBelow));
    await Promise.all(futures.map((future) => future.submitted));
    say({ group: executor.taskGroupId });
    await Promise.all(futures.map(async (future) => say({ result: future.taskId, value: await future })));
    return;
  }
  const executor = new Executor({ taskGroupId: args[0] });
  const futures = await executor.reloadTasks<number>();
  say({ reloaded: futures.length, done_at_once: futures.filter((future) => future.done).length });
  const results: Record<string, number> = {};
  for (const future of futures) {
    if (future.taskId! in results) throw new Error(`task ${future.taskId} reloaded twice`);
    results[future.taskId!] = await future;
  }
  say({ results });
  await executor.shutdown();
}

await main();
