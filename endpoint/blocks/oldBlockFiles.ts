/**
 * Each run of an endpoint with blocks writes, per block, a manager config, a job script and
 * the job's output into NAME/blocks/, named by block and run id (`b3-9f2c1a.json`,
 * `b3-9f2c1a.sbatch`, `b3-9f2c1a-4711.out`). Without cleaning they pile up run after run. At
 * start, before any block of the new run exists, the agent deletes the files of every earlier
 * run but the latest one: those are the files worth reading after a crash or a failed block.
 * Files that are not block files are left alone.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** `b<N>-<run>` followed by `.json`, `.sh`, `.sbatch`, `.out` or `-<job>.out`; files from before run ids have no `-<run>`. */
const BLOCK_FILE = /^b\d+(?:-([0-9a-f]{6}))?(?:-\d+)?\.(?:json|sh|sbatch|out)$/;

export function removeOldBlockFiles(blocksDir: string, keepRuns = 1): string[] {
  let names: string[];
  try {
    names = readdirSync(blocksDir);
  } catch {
    return []; // no folder yet: nothing to clean
  }
  const runs = new Map<string, { files: string[]; newestMs: number }>();
  for (const name of names) {
    const match = BLOCK_FILE.exec(name);
    if (!match) continue;
    const run = match[1] ?? '';
    const file = path.join(blocksDir, name);
    const entry = runs.get(run) ?? { files: [], newestMs: 0 };
    entry.files.push(file);
    entry.newestMs = Math.max(entry.newestMs, statSync(file).mtimeMs);
    runs.set(run, entry);
  }
  const byAge = [...runs.values()].sort((a, b) => b.newestMs - a.newestMs);
  const removed = byAge.slice(keepRuns).flatMap((run) => run.files);
  for (const file of removed) rmSync(file, { force: true });
  return removed;
}
