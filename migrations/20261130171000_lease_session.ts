/**
 * Which agent session holds a task's lease (tasks.leased_by): the random id an
 * endpoint agent makes each time it starts and sends with its lease calls.
 * Reconciling returns only the leases of the sessions the agent names (its
 * own, and its previous run's in the same endpoint folder), never those of
 * another agent of the same endpoint id running elsewhere. Null: leased by an
 * agent that sends no session (older agents); no reconcile returns those.
 * No index: reconcile is rare, and filters the endpoint's running rows that
 * tasks_lease_idx (endpoint_id, state, seq) already finds.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => {
    t.string('leased_by', 64).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => {
    t.dropColumn('leased_by');
  });
}
