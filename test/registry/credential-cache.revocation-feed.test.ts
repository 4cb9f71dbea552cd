/**
 * A service instance trusts an endpoint credential it has accepted without looking it up again,
 * under the revocation feed's bound (src/registry/credentialCache.ts,
 * src/registry/credentialRevocations.ts): a cached credential costs no credential query, one read
 * of the feed per CREDENTIAL_CHECK_MS serves every caller, and a credential revoked through
 * another instance (its own connection pool, as another replica) is refused at that instance's
 * next read of the feed. The feed is read by time, not by id, so a row that commits after a
 * later row was read is still seen.
 */
import type { ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { testOnEachDatabase, MYSQL_BASE_URL, migratedDatabase } from '../helpers/databases.js';
import { testWithRealPart } from '../helpers/realPart.js';
import { findEndpointByCredential, registerEndpoint, revokeEndpointCredential } from '../../src/registry/endpoints.js';
import { CREDENTIAL_CHECK_MS } from '../../src/registry/credentialCache.js';
import { pruneCredentialRevocations, REVOCATION_KEEP_MS, writeCredentialRevocations } from '../../src/registry/credentialRevocations.js';
import { alice } from '../ledger/fixtures.js';
import { statementsDuring } from '../helpers/statementCount.js';

/** The statements this handle sends during work, split by what they read. */
async function statementsByKind(db: Knex, work: () => Promise<unknown>): Promise<{ credential: number; feed: number; all: number }> {
  const { sent } = await statementsDuring(db, work);
  const counted = (pattern: RegExp) => sent.filter((statement) => pattern.test(statement.sql)).length;
  return { credential: counted(/credential_hash/), feed: counted(/credential_revocations/), all: sent.length };
}

/** Past the check bound, counted from when the caller last had the feed read. */
const pastTheBound = () => new Promise((resolve) => setTimeout(resolve, CREDENTIAL_CHECK_MS + 50));

async function endpointWithCredential(db: Knex, name: string): Promise<{ id: string; credential: string }> {
  const registered = await registerEndpoint(db, alice, { name });
  return { id: registered.endpoint_id, credential: registered.credential! };
}

testOnEachDatabase('a cached endpoint credential costs no credential query, and one read of the revocation feed per check period serves every caller', async (t, db, database) => {
  t.timeout(60_000);
  const { id, credential } = await endpointWithCredential(db, 'polling');
  const replica = database.open();
  const first = await statementsByKind(replica, async () => t.like(await findEndpointByCredential(replica, credential), { endpointId: id }));
  t.is(first.credential, 1, 'the first call looks the credential up');

  const startedAt = Date.now();
  const within = await statementsByKind(replica, async () => {
    for (let i = 0; i < 20; i++) t.like(await findEndpointByCredential(replica, credential), { endpointId: id });
  });
  t.is(within.credential, 0, 'no credential query while it is cached');
  // Only a machine stalled past the bound reads the feed here.
  t.true(within.feed <= 1 + Math.floor((Date.now() - startedAt) / CREDENTIAL_CHECK_MS), `feed reads ${within.feed}`);

  await pastTheBound();
  const together = await statementsByKind(replica, () => Promise.all(Array.from({ length: 20 }, async () => t.like(await findEndpointByCredential(replica, credential), { endpointId: id }))));
  t.is(together.credential, 0, 'still no credential query');
  t.is(together.feed, 1, 'twenty callers past the bound share one read of the feed');
  t.is(together.all, 1);
});

testOnEachDatabase('a credential revoked through another instance is refused at this instance\'s next read of the feed; a rotated-in one is accepted', async (t, db, database) => {
  t.timeout(60_000);
  const revoked = await endpointWithCredential(db, 'revoked');
  const rotated = await endpointWithCredential(db, 'rotated');
  const replica = database.open();
  t.truthy(await findEndpointByCredential(replica, revoked.credential));
  t.truthy(await findEndpointByCredential(replica, rotated.credential));

  t.true(await revokeEndpointCredential(db, revoked.id));
  const newCredential = (await registerEndpoint(db, alice, { name: 'rotated', rotate_credential: true }, rotated.id)).credential!;
  t.is(await findEndpointByCredential(db, revoked.credential), undefined, 'the instance that revoked it refuses at once');
  t.is(await findEndpointByCredential(db, rotated.credential), undefined);

  await pastTheBound();
  t.is(await findEndpointByCredential(replica, revoked.credential), undefined, 'the other instance refuses the revoked credential');
  t.is(await findEndpointByCredential(replica, rotated.credential), undefined, 'and the rotated-out one');
  t.like(await findEndpointByCredential(replica, newCredential), { endpointId: rotated.id });
});

const mariadbTest = testWithRealPart('test/registry/credential-cache.revocation-feed', MYSQL_BASE_URL ? undefined : 'no MariaDB (run through dist/scripts/run-tests.js, or set FUNCX_TEST_MYSQL_URL)', { requiredBy: 'FUNCX_TEST_REQUIRE_MARIADB' });

mariadbTest('a revocation that commits after a later one was read is still read at the next check (the feed is read by time, not by id) [mariadb]', async (t: ExecutionContext) => {
  t.timeout(60_000);
  const { db, database } = await migratedDatabase(t, 'mariadb');
  const late = await endpointWithCredential(db, 'late');
  const early = await endpointWithCredential(db, 'early');
  const replica = database.open();
  t.truthy(await findEndpointByCredential(replica, late.credential));
  t.truthy(await findEndpointByCredential(replica, early.credential));

  // The late revocation takes the lower id, then waits to commit while a later one commits and is read.
  const trx = await db.transaction();
  try {
    await trx('endpoints').where({ id: late.id }).update({ credential_hash: null });
    await writeCredentialRevocations(trx, [late.id]);
    t.true(await revokeEndpointCredential(db, early.id));
    await pastTheBound();
    t.is(await findEndpointByCredential(replica, early.credential), undefined, 'the committed revocation is read');
    t.truthy(await findEndpointByCredential(replica, late.credential), 'the uncommitted one is not yet');
    await trx.commit();
  } catch (error) {
    await trx.rollback();
    throw error;
  }
  const [{ lowest }] = await db('credential_revocations').min({ lowest: 'id' });
  t.is(Number((await db('credential_revocations').where({ endpoint_id: late.id }).first('id')).id), Number(lowest), 'the late row has the lower id');
  await pastTheBound();
  t.is(await findEndpointByCredential(replica, late.credential), undefined, 'the late revocation is read at the next check');
});

mariadbTest('pruning the feed deletes the rows past the hour, keeps the rest, and does not wait on a revocation not yet committed [mariadb]', async (t: ExecutionContext) => {
  t.timeout(30_000); // a ranged DELETE would wait on the open transaction's row for innodb_lock_wait_timeout (50 s)
  const { db } = await migratedDatabase(t, 'mariadb');
  const [{ now }] = (await db.raw('SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) AS now'))[0];
  await db('credential_revocations').insert([
    { endpoint_id: 'old', revoked_at: Number(now) - REVOCATION_KEEP_MS - 60_000 },
    { endpoint_id: 'recent', revoked_at: Number(now) - REVOCATION_KEEP_MS + 60_000 },
  ]);
  const trx = await db.transaction();
  try {
    await writeCredentialRevocations(trx, ['uncommitted']);
    t.is(await pruneCredentialRevocations(db), 1);
  } finally {
    await trx.rollback();
  }
  t.deepEqual((await db('credential_revocations').orderBy('id').pluck('endpoint_id')), ['recent']);
});
