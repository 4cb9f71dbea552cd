/**
 * What a multi-user endpoint needs to know to start per-user endpoints: which
 * users have tasks waiting for it, with which settings, and how many. Waiting
 * tasks already routed to one of its per-user endpoints (requeued after that
 * process died) count for that endpoint's user and settings. Per-user
 * endpoints the caller says are running (`serving`) are left out: their
 * tasks are theirs to lease.
 */
import type { Knex } from 'knex';
import { WAITING } from './model.js';
import { parseStored } from '../util/json.js';

export interface UserDemand {
  identity: string;
  userConfigKey: string;
  userEndpointConfig: Record<string, unknown>;
  /** The submitter's runtime, when the SDK sent one (it is part of the key, so one per group). */
  userRuntime: Record<string, unknown> | null;
  waiting: number;
  userEndpointId: string | null;
}

/** Groups reported per call, at most: a multi-user endpoint starts this many processes at a time anyway. */
const MAX_GROUPS = 500;

export async function readUserDemand(db: Knex, input: { parentId: string; serving: readonly string[] }): Promise<UserDemand[]> {
  const children: { id: string; serves_identity: string; user_config_key: string }[] = await db('endpoints')
    .select('id', 'serves_identity', 'user_config_key')
    .where({ parent_id: input.parentId })
    .whereNull('deleted_at');
  const serving = new Set(input.serving);
  const childOf = new Map(children.map((child) => [`${child.serves_identity}\n${child.user_config_key}`, child.id]));
  const demand = new Map<string, UserDemand>();
  const add = (identity: string, key: string, waiting: number) => {
    const childId = childOf.get(`${identity}\n${key}`) ?? null;
    if (childId && serving.has(childId)) return;
    const group = demand.get(`${identity}\n${key}`);
    if (group) group.waiting += waiting;
    else demand.set(`${identity}\n${key}`, { identity, userConfigKey: key, userEndpointConfig: {}, userRuntime: null, waiting, userEndpointId: childId });
  };

  const fresh = await db('tasks')
    .select('submitter', 'user_config_key')
    .count({ waiting: '*' })
    .where({ endpoint_id: input.parentId, state: WAITING })
    .groupBy('submitter', 'user_config_key')
    .limit(MAX_GROUPS);
  for (const row of fresh as unknown as { submitter: string; user_config_key: string; waiting: number }[]) add(row.submitter, row.user_config_key, Number(row.waiting));
  const idle = children.filter((child) => !serving.has(child.id)).map((child) => child.id);
  for (let start = 0; start < idle.length; start += 500) {
    const requeued = await db('tasks')
      .select('endpoint_id')
      .count({ waiting: '*' })
      .whereIn('endpoint_id', idle.slice(start, start + 500))
      .andWhere('state', WAITING)
      .groupBy('endpoint_id');
    for (const row of requeued as unknown as { endpoint_id: string; waiting: number }[]) {
      const child = children.find((c) => c.id === row.endpoint_id)!;
      add(child.serves_identity, child.user_config_key, Number(row.waiting));
    }
  }
  // The settings and runtime themselves, from one waiting task of each group (all tasks of a group have the same).
  for (const group of demand.values()) {
    const sample = await db('tasks')
      .select('user_endpoint_config', 'user_runtime')
      .where({ submitter: group.identity, user_config_key: group.userConfigKey, state: WAITING })
      .whereIn('endpoint_id', group.userEndpointId ? [input.parentId, group.userEndpointId] : [input.parentId])
      .first();
    group.userEndpointConfig = parseStored<Record<string, unknown>>(sample?.user_endpoint_config, {});
    group.userRuntime = parseStored<Record<string, unknown> | null>(sample?.user_runtime, null);
  }
  return [...demand.values()];
}
