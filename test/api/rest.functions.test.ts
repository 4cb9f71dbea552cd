import { assertSchema, serviceTest } from '../helpers/service.js';

const HELLO = { runtime: 'python', source: 'def hello_world():\n    return "Hello World!"\n', entry_point: 'hello_world', description: 'hello world function' };

serviceTest('register, read, update and delete a function', async (t, live) => {
  const created = await live.call('POST', '/v3/functions', { body: HELLO });
  t.is(created.status, 201);
  assertSchema(t, 'function-register-response.json', created.body);
  const id = created.body.function_uuid;
  const read = await live.call('GET', `/v2/functions/${id}`);
  t.is(read.status, 200);
  assertSchema(t, 'function.json', read.body);
  t.like(read.body, { function_uuid: id, name: 'hello_world', runtime: 'python', owner: 'admin', public: false, searchable: false, group_ids: [] });
  const updated = await live.call('PUT', `/v3/functions/${id}`, { body: { description: 'changed', public: true } });
  t.like(updated.body, { description: 'changed', public: true, source: HELLO.source });
  t.is((await live.call('DELETE', `/v3/functions/${id}`)).status, 200);
  const gone = await live.call('GET', `/v3/functions/${id}`);
  t.deepEqual(gone.body, { code: 'FunctionNotFound', reason: `function ${id} not found`, http_status_code: 404 });
});

serviceTest('search matches name, description, owner and source, case-insensitively, with paging and a total', async (t, live) => {
  for (let i = 0; i < 7; i++) {
    await live.call('POST', '/v3/functions', { body: { ...HELLO, name: `hello_${i}`, description: i % 2 ? 'Monte Carlo PI' : 'greeting' } });
  }
  await live.call('POST', '/v3/functions', { body: { runtime: 'shell', source: 'echo {name}', name: 'echo' } });
  const page = await live.call('GET', '/v3/functions?q=HELLO&offset=2&limit=3');
  assertSchema(t, 'function-search-response.json', page.body);
  t.deepEqual([page.body.total, page.body.offset, page.body.limit, page.body.functions.length], [7, 2, 3, 3]);
  t.is((await live.call('GET', '/v3/functions?q=monte%20carlo')).body.total, 3);
  t.is((await live.call('GET', '/v3/functions?q=echo%20%7Bname')).body.total, 1); // source
  t.is((await live.call('GET', '/v3/functions?q=ADMIN')).body.total, 8); // owner
  t.is((await live.call('GET', '/v3/functions?q=100%25')).body.total, 0); // LIKE wildcards are literal
  const bad = await live.call('GET', '/v3/functions?limit=1000');
  t.is(bad.body.code, 'RequestMalformed');
  t.regex(bad.body.reason, /query\/limit must be <= 100/);
});

serviceTest('sharing: private to the owner, public to all, or to groups; only the owner may change it', async (t, live) => {
  const bob = await live.tokenFor('bob', ['physics']);
  const carol = await live.tokenFor('carol');
  const mine = (await live.call('POST', '/v3/functions', { body: HELLO })).body.function_uuid;
  const shared = (await live.call('POST', '/v3/functions', { body: { ...HELLO, group_ids: ['physics'], searchable: true } })).body.function_uuid;
  const open = (await live.call('POST', '/v3/functions', { body: { ...HELLO, public: true, searchable: true } })).body.function_uuid;
  t.is((await live.call('GET', `/v3/functions/${mine}`, { token: bob })).body.code, 'FunctionNotFound');
  t.is((await live.call('GET', `/v3/functions/${shared}`, { token: bob })).status, 200);
  t.is((await live.call('GET', `/v3/functions/${shared}`, { token: carol })).body.code, 'FunctionNotFound');
  t.is((await live.call('GET', `/v3/functions/${open}`, { token: carol })).status, 200);
  const forbidden = await live.call('PUT', `/v3/functions/${open}`, { token: carol, body: { description: 'mine now' } });
  t.deepEqual(forbidden.body, { code: 'FunctionAccessForbidden', reason: `only the owner of function ${open} may change it`, http_status_code: 403 });
  t.is((await live.call('GET', '/v3/functions', { token: bob })).body.total, 2);
  t.is((await live.call('GET', '/v3/functions', { token: carol })).body.total, 1);
});
