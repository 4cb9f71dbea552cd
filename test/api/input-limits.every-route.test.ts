/**
 * The limits of src/http/inputLimits.ts hold on every API the service mounts:
 * the native API, the endpoint protocol and the Action Provider. Each refusal
 * is a 400 naming what was wrong, and nothing reaches the database.
 */
import type { ExecutionContext } from 'ava';
import { MAX_JSON_DEPTH } from '../../src/http/inputLimits.js';
import { assertSchema, functionAndEndpoint, serviceTest, type LiveService } from '../helpers/service.js';
import { BASE, newCaller } from '../action-provider/support.js';

/** `{"a":{"a":...1...}}` with `depth` objects. */
const nested = (depth: number): string => `${'{"a":'.repeat(depth - 1)}{"a":1}${'}'.repeat(depth - 1)}`;

/** Raw bytes, so a test can send what no JSON.stringify would produce. */
async function sendBytes(live: LiveService, method: string, urlPath: string, bytes: Uint8Array, token: string) {
  const response = await fetch(live.url + urlPath, { method, body: bytes, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() as Record<string, unknown> };
}

const functionCount = async (live: LiveService) => Number((await live.db('functions').count({ n: '*' }))[0].n);

serviceTest('a body nested deeper than the limit is a 400 on the native API, the endpoint protocol and the Action Provider; one within it is stored', async (t, live) => {
  const deep = `{"runtime":"python","source":"x","metadata":${nested(5000)}}`;
  const refused = await live.call('POST', '/v3/functions', { rawBody: deep, headers: { 'content-type': 'application/json' } });
  t.is(refused.status, 400);
  assertSchema(t, 'error.json', refused.body);
  t.like(refused.body, { code: 'RequestMalformed', reason: `body is nested deeper than ${MAX_JSON_DEPTH} levels` });
  t.is(await functionCount(live), 0);

  // Exactly at the limit: the body itself is one level, metadata the rest.
  const atLimit = `{"runtime":"python","source":"x","metadata":${nested(MAX_JSON_DEPTH - 1)}}`;
  const stored = await live.call('POST', '/v3/functions', { rawBody: atLimit, headers: { 'content-type': 'application/json' } });
  t.is(stored.status, 201, JSON.stringify(stored.body));
  const oneOver = `{"runtime":"python","source":"x","metadata":${nested(MAX_JSON_DEPTH)}}`;
  t.is((await live.call('POST', '/v3/functions', { rawBody: oneOver, headers: { 'content-type': 'application/json' } })).status, 400);
  // Brackets inside strings are text, not nesting.
  const inString = await live.call('POST', '/v3/functions', { body: { runtime: 'python', source: '['.repeat(10_000), metadata: { note: '{'.repeat(10_000) } } });
  t.is(inString.status, 201);

  const { endpointId, credential } = await functionAndEndpoint(live);
  const heartbeat = await live.call('POST', `/v3/endpoints/${endpointId}/heartbeat`, {
    token: credential, rawBody: `{"total_workers":1,"extra":${nested(3000)}}`, headers: { 'content-type': 'application/json' },
  });
  t.like(heartbeat.body, { code: 'RequestMalformed', reason: `body is nested deeper than ${MAX_JSON_DEPTH} levels`, http_status_code: 400 });

  const alice = await newCaller(live);
  const run = await live.call('POST', `${BASE}/run`, {
    token: alice.token, rawBody: `{"request_id":"r1","body":${nested(3000)}}`, headers: { 'content-type': 'application/json' },
  });
  t.is(run.status, 400);
  assertSchema(t, 'action-error.json', run.body);
  t.like(run.body, { code: 'BadActionRequest', description: `body is nested deeper than ${MAX_JSON_DEPTH} levels` });
  t.is(Number((await live.db('actions').count({ n: '*' }))[0].n), 0);
});

serviceTest('a body with invalid UTF-8 is refused with 400, never stored repaired', async (t, live) => {
  const prefix = Buffer.from('{"runtime":"python","source":"x","name":"caf');
  const bad = Buffer.concat([prefix, Buffer.from([0xc3, 0x28]), Buffer.from('"}')]); // 0xc3 0x28: a broken two-byte sequence
  const refused = await sendBytes(live, 'POST', '/v3/functions', bad, live.adminToken);
  t.is(refused.status, 400);
  assertSchema(t, 'error.json', refused.body);
  t.like(refused.body, { code: 'RequestMalformed', reason: 'body is not valid UTF-8' });
  // A lone continuation byte and an over-long encoding of "/" are refused as well.
  for (const bytes of [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
    const body = Buffer.concat([prefix, Buffer.from(bytes), Buffer.from('"}')]);
    t.is((await sendBytes(live, 'POST', '/v3/functions', body, live.adminToken)).status, 400, `bytes ${bytes.join(',')}`);
  }
  t.is(await functionCount(live), 0);
  // Valid multi-byte text is kept as sent.
  const good = Buffer.from('{"runtime":"python","source":"x","name":"café ☕ 𝄞"}');
  const created = await sendBytes(live, 'POST', '/v3/functions', good, live.adminToken);
  t.is(created.status, 201);
  t.is((await live.call('GET', `/v3/functions/${created.body.function_uuid as string}`)).body.name, 'café ☕ 𝄞');

  const alice = await newCaller(live);
  const run = await sendBytes(live, 'POST', `${BASE}/run`, Buffer.concat([Buffer.from('{"request_id":"'), Buffer.from([0xff]), Buffer.from('","body":{}}')]), alice.token);
  t.is(run.status, 400);
  t.like(run.body, { code: 'BadActionRequest', description: 'body is not valid UTF-8' });
});

async function refusedQuery(t: ExecutionContext, live: LiveService, urlPath: string, parameter: string) {
  const response = await live.call('GET', urlPath);
  t.is(response.status, 400, `${urlPath}: ${JSON.stringify(response.body)}`);
  assertSchema(t, 'error.json', response.body);
  t.is(response.body.code, 'RequestMalformed', urlPath);
  t.regex(response.body.reason, new RegExp(`^query parameter "${parameter}" `), urlPath);
  t.like(response.body.details[0], { location: 'query', path: `/${parameter}` });
}

serviceTest('query numbers are strict: 1e20, 1e309, 0x10, 1.5, " 5", -0, repeats and out-of-bounds values are 400s naming the parameter', async (t, live) => {
  // The query is checked before the group is looked up: an unknown group with a bad query is a 400, not a 404.
  const groupPath = '/v2/taskgroup/00000000-0000-4000-8000-000000000000';
  for (const [query, parameter] of [
    ['offset=1e20', 'offset'], ['limit=1e309', 'limit'], ['offset=0x10', 'offset'], ['limit=1.5', 'limit'],
    ['limit=%205', 'limit'], ['offset=-0', 'offset'], ['offset=-1', 'offset'], ['limit=0', 'limit'],
    ['limit=100001', 'limit'], ['offset=1000000001', 'offset'], ['offset=1&offset=2', 'offset'], ['limit=', 'limit'],
    ['offset=99999999999999999999999', 'offset'],
  ]) {
    await refusedQuery(t, live, `${groupPath}?${query}`, parameter);
  }
  for (const [query, parameter] of [['offset=1e20', 'offset'], ['limit=1e309', 'limit'], ['limit=101', 'limit'], ['q=a&q=b', 'q']]) {
    await refusedQuery(t, live, `/v3/functions?${query}`, parameter);
  }
  await refusedQuery(t, live, '/v3/endpoints?role=owner&role=any', 'role');

  // The bounds themselves are accepted, and the numbers come back as numbers.
  const atBounds = await live.call('GET', '/v3/functions?offset=1000000000&limit=100');
  t.is(atBounds.status, 200);
  t.like(atBounds.body, { offset: 1000000000, limit: 100, functions: [] });

  const alice = await newCaller(live);
  for (const limit of ['1e309', '1e2', '0', '101', '-1', '1.0']) {
    const log = await live.call('GET', `${BASE}/00000000-0000-4000-8000-000000000000/log?limit=${limit}`, { token: alice.token });
    t.is(log.status, 400, `limit=${limit}`);
    t.like(log.body, { code: 'BadActionRequest', description: `query parameter "limit" must be a whole number from 1 to 100 (got "${limit}")` });
  }
});
