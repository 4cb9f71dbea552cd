/** Counts the UPDATEs of the endpoints table a database handle sends (knex's query events), for the batching tests. */
import type { Knex } from 'knex';

export function countEndpointUpdates(db: Knex): { read(): number; stop(): void } {
  let updates = 0;
  const onQuery = (query: { sql: string }) => {
    if (/^update [`"]?endpoints[`"]? /i.test(query.sql)) updates += 1;
  };
  db.on('query', onQuery);
  return { read: () => updates, stop: () => db.off('query', onQuery) };
}
