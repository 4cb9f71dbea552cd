/**
 * Tokens, endpoint credentials and the service's client secret never reach the
 * logs, even at trace level and when the identity provider fails; and the
 * secrets the service verifies itself are stored only as hashes.
 */
import path from 'node:path';
import { Writable } from 'node:stream';
import test from 'ava';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/service.js';
import { createTestDatabase } from '../helpers/databases.js';
import { SERVICE_CLIENT, startTestProvider } from '../helpers/oidcProvider.js';
import { hashSecret } from '../../src/auth/secrets.js';

test('at trace level, with the provider failing midway, no secret appears in the logs; credentials are stored hashed', async (t) => {
  const provider = await startTestProvider(t);
  const database = await createTestDatabase('sqlite');
  t.teardown(() => database.cleanup());
  let logs = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs += chunk;
      done();
    },
  });
  const config = loadConfig({}, { ...provider.serviceConfig(), port: 0, home: path.join(database.dir, 'home'), databaseUrl: database.url, logLevel: 'trace' });
  const service = await startService(config, { logger: createLogger('trace', 'funcx-service', sink) });
  t.teardown(() => service.close());
  const call = async (method: string, urlPath: string, token: string, body?: unknown) => {
    const response = await fetch(service.url + urlPath, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: await response.json() as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  const opaque = await provider.token('alice');
  const jwt = await provider.token('alice', { format: 'jwt' });
  const registered = await call('POST', '/v3/endpoints', opaque, { name: 'ep' });
  t.is(registered.status, 201);
  const credential = registered.body.credential as string;
  t.is((await call('GET', '/v3/endpoints', jwt)).status, 200);
  t.is((await call('POST', `/v3/endpoints/${registered.body.endpoint_id}/lease`, credential, { max_tasks: 1, wait_s: 0 })).status, 200);
  t.is((await call('GET', '/v3/endpoints', 'wrong-token-secret-value')).status, 401);
  await provider.stop();
  t.is((await call('GET', '/v3/endpoints', 'opaque-token-during-outage')).status, 503);

  // The logs did record these events, with errors and their causes...
  t.regex(logs, /OpenID Connect provider discovered/);
  t.regex(logs, /IdentityProviderUnavailable/);
  // ...and no secret.
  for (const secret of [opaque, jwt, credential, SERVICE_CLIENT.secret, 'wrong-token-secret-value', 'opaque-token-during-outage']) {
    t.false(logs.includes(secret), `a secret reached the logs: ${secret.slice(0, 12)}...`);
  }
  // The logger itself redacts secret-named fields.
  logs = '';
  service.deps.logger.info({ token: 'T0KEN', credential: 'CRED', client_secret: 'CS', nested: { access_token: 'AT', refresh_token: 'RT' } }, 'probe');
  for (const secret of ['T0KEN', 'CRED', 'CS', 'AT', 'RT']) t.false(logs.includes(`"${secret}"`), secret);

  // The endpoint credential is stored as its SHA-256 only.
  const row = await service.deps.db('endpoints').where({ id: registered.body.endpoint_id }).first();
  t.is(row.credential_hash, hashSecret(credential));
  t.false(JSON.stringify(row).includes(credential));
});
