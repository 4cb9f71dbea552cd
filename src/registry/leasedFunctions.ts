/**
 * The functions a lease answer carries, read during the lease's last round trip when the
 * database allows it.
 *
 * On MySQL a lease is a read of the candidate rows, then the UPDATE that marks them: their
 * function ids are known one round trip before the lease is, so their functions are read on
 * another pooled connection meanwhile (leaseTasks.ts, `alongsideMark`), and a lone task's lease
 * answer waits two round trips, not three. Functions are read as they are when the lease is
 * made, as before; a lease that took other rows than it read first (another poller was faster)
 * reads the missing ones after.
 */
import type { Knex } from 'knex';
import { loadFunctions, type FunctionRow } from './functions.js';
import type { LeasedTask } from '../ledger/leaseTasks.js';

/** Leasing needs no sharing groups, and runs tasks queued before their function was deleted. */
const FOR_LEASING = { includeDeleted: true, withGroups: false } as const;

export class LeasedFunctions {
  private early?: { ids: ReadonlySet<string>; read: Promise<Map<string, FunctionRow>> };

  constructor(private readonly db: Knex) {}

  /** The lease's `alongsideMark`: starts reading the candidates' functions (the latest look's wins). */
  readonly alongsideMark = (functionIds: string[]): void => {
    const read = loadFunctions(this.db, functionIds, FOR_LEASING);
    read.catch(() => undefined); // awaited by forTasks; a look that leased nothing drops it
    this.early = { ids: new Set(functionIds), read };
  };

  /** Functions the caller already holds (a submit that handed its tasks to this poll read them). */
  provide(functions: ReadonlyMap<string, FunctionRow>): void {
    this.early = { ids: new Set(functions.keys()), read: Promise.resolve(new Map(functions)) };
  }

  /** The functions of these leased tasks, by id. */
  async forTasks(tasks: readonly LeasedTask[]): Promise<Map<string, FunctionRow>> {
    const wanted = [...new Set(tasks.map((task) => task.functionId))];
    if (wanted.length === 0) return new Map();
    const early = this.early;
    if (!early || !wanted.every((id) => early.ids.has(id))) return loadFunctions(this.db, wanted, FOR_LEASING);
    const read = await early.read;
    return new Map(wanted.flatMap((id) => (read.has(id) ? [[id, read.get(id)!] as const] : [])));
  }
}
