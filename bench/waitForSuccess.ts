/**
 * The benches' wait for a batch of tasks: long-polls `POST /v3/tasks/wait` 1,000 ids at a
 * time until none is pending, and throws on the first task that did not succeed (a bench
 * figure from failed tasks would be a lie).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BenchCall = (method: string, urlPath: string, body?: unknown) => Promise<any>;

export async function waitForSuccess(call: BenchCall, ids: readonly string[]): Promise<void> {
  for (let start = 0; start < ids.length; start += 1000) {
    let pending = ids.slice(start, start + 1000);
    while (pending.length > 0) {
      const answer = await call('POST', '/v3/tasks/wait', { task_ids: pending, timeout_s: 30 });
      for (const [id, task] of Object.entries(answer.done) as [string, { status: string; exception?: unknown }][]) {
        if (task.status !== 'success') throw new Error(`task ${id} ${task.status}: ${JSON.stringify(task.exception)}`);
      }
      pending = answer.pending;
    }
  }
}
