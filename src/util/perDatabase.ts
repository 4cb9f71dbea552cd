/**
 * One of something per database handle, i.e. per service instance: the in-memory state a service
 * keeps beside its database (a cache, a memory, a batch of writes), made on first use. Two
 * services in one process (the tests, a pair of replicas) keep their own, and a handle that is
 * dropped takes its state with it.
 */
import type { Knex } from 'knex';

export function onePerDatabase<T extends object>(create: (db: Knex) => T): (db: Knex) => T {
  const made = new WeakMap<Knex, T>();
  return (db) => {
    let value = made.get(db);
    if (value === undefined) {
      value = create(db);
      made.set(db, value);
    }
    return value;
  };
}
