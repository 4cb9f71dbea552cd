/**
 * A function registered through the upstream SDKs' POST /v2/functions holds
 * their packed function_code (a pack_buffers'd, header-prefixed dill payload),
 * not source: the column names how `source` is encoded ('globus-compute'), and
 * is null for plain source. The worker unpacks such code instead of compiling it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('functions', (t) => {
    t.string('code_serializer', 32).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('functions', (t) => {
    t.dropColumn('code_serializer');
  });
}
