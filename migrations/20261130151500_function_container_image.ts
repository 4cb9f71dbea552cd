/**
 * A function may name the container image its tasks run in (as Globus
 * Compute's container ids did); null: the endpoint's default (its config's
 * container image, or the host).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('functions', (t) => {
    t.string('container_image', 512).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('functions', (t) => {
    t.dropColumn('container_image');
  });
}
