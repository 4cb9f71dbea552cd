/**
 * Results that could not be posted wait on local disk until the service
 * acknowledges them, so they survive the service being down and the endpoint
 * restarting (resultOutbox.ts decides which results come here). One file per
 * (task, attempt), written atomically and fsynced (src/util/atomicFile.ts): a
 * crash never leaves a half-written result that looks whole. Files of earlier
 * versions (which spooled every result) have the same form and are posted on start.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { TEMP_SUFFIX, writeFileAtomically } from '@funcx-ts/shared/atomicFile.js';
import type { PostedResult } from './client.js';

export interface SpooledResult extends PostedResult {
  attempt: number;
}

export class ResultSpool {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(result: { task_id: string; attempt: number }): string {
    return path.join(this.dir, `${result.task_id}.${result.attempt}.json`);
  }

  write(result: SpooledResult): void {
    writeFileAtomically(this.file(result), JSON.stringify(result), 0o600);
  }

  remove(result: { task_id: string; attempt: number }): void {
    rmSync(this.file(result), { force: true });
  }

  /** Everything not yet acknowledged (after a restart, or an outage). Leftover temp files are dropped. */
  pending(): SpooledResult[] {
    const results: SpooledResult[] = [];
    for (const name of readdirSync(this.dir)) {
      const full = path.join(this.dir, name);
      if (name.endsWith(TEMP_SUFFIX)) {
        rmSync(full, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        results.push(JSON.parse(readFileSync(full, 'utf8')) as SpooledResult);
      } catch {
        rmSync(full, { force: true }); // unreadable: cannot be posted; the lease will expire and the task rerun
      }
    }
    return results;
  }
}
