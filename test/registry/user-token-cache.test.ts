/**
 * A service instance trusts a local API token it has accepted without looking it up again, under
 * the same revocation feed as endpoint credentials (src/registry/tokens.ts,
 * src/registry/credentialCache.ts): a cached token costs no token query; revoked through this
 * instance it is refused at once, through another (its own connection pool, as another replica or
 * the CLI) at this instance's next read of the feed; and a cached token still ends at its expiry
 * by the database's clock.
 */
import type { Knex } from 'knex';
import { testOnEachDatabase } from '../helpers/databases.js';
import { statementsDuring } from '../helpers/statementCount.js';
import { eventually } from '../helpers/within.js';
import { readNow } from '../../src/db/clock.js';
import { CREDENTIAL_CHECK_MS } from '../../src/registry/credentialCache.js';
import { createToken, findUserByToken, revokeToken } from '../../src/registry/tokens.js';

/** The token lookups (reads of api_tokens) this handle sends during work. */
async function tokenQueries(db: Knex, work: () => Promise<unknown>): Promise<number> {
  const { sent } = await statementsDuring(db, work);
  return sent.filter((statement) => /api_tokens/.test(statement.sql)).length;
}

/** Past the check bound, counted from when the caller last had the feed read. */
const pastTheBound = () => new Promise((resolve) => setTimeout(resolve, CREDENTIAL_CHECK_MS + 50));

testOnEachDatabase('a cached API token costs no token query, and each caller gets its own copy of the principal', async (t, db, database) => {
  const { token } = await createToken(db, { identity: 'grace', groups: ['physics'] });
  const replica = database.open();
  t.is(await tokenQueries(replica, async () => t.like(await findUserByToken(replica, token), { kind: 'user', id: 'grace', groups: ['physics'] })), 1, 'the first call looks the token up');
  t.is(await tokenQueries(replica, async () => {
    for (let i = 0; i < 20; i++) t.like(await findUserByToken(replica, token), { id: 'grace' });
  }), 0, 'no token query while it is cached');
  const first = (await findUserByToken(replica, token))!;
  (first as { id: string }).id = 'mallory';
  t.like(await findUserByToken(replica, token), { id: 'grace' }, 'a caller changing its principal does not change the cached one');
  t.is(await findUserByToken(replica, 'fxu_unknown'), undefined);
  t.is(await tokenQueries(replica, () => findUserByToken(replica, 'fxu_unknown')), 1, 'an unknown token is asked for every time (never cached)');
});

testOnEachDatabase('an API token revoked through this instance is refused at once, and through another instance at this one\'s next read of the revocation feed', async (t, db, database) => {
  t.timeout(60_000);
  const here = await createToken(db, { identity: 'heidi' });
  const elsewhere = await createToken(db, { identity: 'ivan' });
  const kept = await createToken(db, { identity: 'judy' });
  const replica = database.open();
  for (const { token } of [here, elsewhere, kept]) t.truthy(await findUserByToken(replica, token));

  t.true(await revokeToken(replica, here.tokenId));
  t.is(await findUserByToken(replica, here.token), undefined, 'the instance that revoked it refuses at once');

  t.true(await revokeToken(db, elsewhere.tokenId)); // another instance: the CLI, another replica
  await pastTheBound();
  t.is(await findUserByToken(replica, elsewhere.token), undefined, 'the other instance refuses it after its next read of the feed');
  t.like(await findUserByToken(replica, kept.token), { id: 'judy' }, 'a token not revoked is still accepted');
  t.false(await revokeToken(db, elsewhere.tokenId), 'revoking twice says so');
});

testOnEachDatabase('a cached API token is refused once the database clock passes its expiry', async (t, db, database) => {
  t.timeout(60_000);
  const { token } = await createToken(db, { identity: 'ken', expiresInMs: 3000 });
  const expiresAt = Number((await db('api_tokens').where({ identity: 'ken' }).first('expires_at')).expires_at);
  const replica = database.open();
  const accepted = await findUserByToken(replica, token);
  // A machine stalled past the expiry before the first look has nothing cached to test.
  if (!accepted) {
    t.pass('expired before the first look (a stalled machine)');
    return;
  }
  t.like(accepted, { id: 'ken' });
  await eventually(30_000, 'the database clock to pass the expiry', async () => (await readNow(db)) > expiresAt);
  t.is(await findUserByToken(replica, token), undefined, 'expired: refused though it was cached for minutes');
});
