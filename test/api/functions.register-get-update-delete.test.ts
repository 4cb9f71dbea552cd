/** A function's life: register, read (v2 and v3), update, delete; and what a delete does to queued tasks. */
import { assertSchema, serviceTest } from '../helpers/service.js';
import { HELLO_WORLD, NIL_UUID, lease, registerEndpoint, registerFunction, submitOk, submitTo } from './support.js';

serviceTest('register answers 201 with the id; v2 and v3 read it back whole', async (t, live) => {
  const created = await live.call('POST', '/v3/functions', { body: { ...HELLO_WORLD, metadata: { python_version: '3.11' } } });
  t.is(created.status, 201);
  assertSchema(t, 'function-register-response.json', created.body);
  const id = created.body.function_uuid;
  for (const version of ['v2', 'v3']) {
    const read = await live.call('GET', `/${version}/functions/${id}`);
    t.is(read.status, 200);
    assertSchema(t, 'function.json', read.body);
    t.like(read.body, {
      function_uuid: id, name: 'hello_world', runtime: 'python', source: HELLO_WORLD.source, entry_point: 'hello_world',
      description: 'hello world function', owner: 'admin', public: false, searchable: false, group_ids: [], metadata: { python_version: '3.11' },
    });
  }
  // An upper-case id in the path names the same function.
  t.is((await live.call('GET', `/v3/functions/${id.toUpperCase()}`)).body.function_uuid, id);
});

serviceTest('names default to the entry point, or to the runtime for a shell command', async (t, live) => {
  const python = await registerFunction(live, { name: undefined, entry_point: 'hello_world' });
  const shell = await registerFunction(live, { runtime: 'shell', source: 'echo {name}', name: undefined, entry_point: undefined });
  const pyRecord = (await live.call('GET', `/v3/functions/${python}`)).body;
  const shellRecord = (await live.call('GET', `/v3/functions/${shell}`)).body;
  assertSchema(t, 'function.json', shellRecord);
  t.is(pyRecord.name, 'hello_world');
  t.like(shellRecord, { name: 'shell-function', runtime: 'shell', entry_point: null, source: 'echo {name}' });
});

serviceTest('update changes only the fields given and answers the new record', async (t, live) => {
  const id = await registerFunction(live);
  const before = (await live.call('GET', `/v3/functions/${id}`)).body;
  const updated = await live.call('PUT', `/v3/functions/${id}`, {
    body: { description: 'changed', public: true, searchable: true, group_ids: ['physics'], metadata: { v: 2 } },
  });
  t.is(updated.status, 200);
  assertSchema(t, 'function.json', updated.body);
  t.like(updated.body, {
    function_uuid: id, name: 'hello_world', source: HELLO_WORLD.source, description: 'changed', public: true, searchable: true,
    group_ids: ['physics'], metadata: { v: 2 }, created_at: before.created_at,
  });
  t.true(updated.body.updated_at >= before.updated_at);
  const source = 'def hello_world():\n    return "Hi"\n';
  const newSource = await live.call('PUT', `/v3/functions/${id}`, { body: { source, group_ids: [] } });
  t.like(newSource.body, { source, description: 'changed', group_ids: [] });
  t.deepEqual((await live.call('GET', `/v3/functions/${id}`)).body, newSource.body);
});

serviceTest('an empty or unknown update is refused, naming the problem', async (t, live) => {
  const id = await registerFunction(live);
  const empty = await live.call('PUT', `/v3/functions/${id}`, { body: {} });
  t.is(empty.status, 400);
  t.like(empty.body, { code: 'RequestMalformed', reason: 'invalid request: body must NOT have fewer than 1 properties', http_status_code: 400 });
  const runtime = await live.call('PUT', `/v3/functions/${id}`, { body: { runtime: 'shell' } });
  t.like(runtime.body, { code: 'RequestMalformed', reason: 'invalid request: body has an unknown field "runtime"', http_status_code: 400 });
  assertSchema(t, 'error.json', runtime.body);
});

serviceTest('delete answers deleted; the function is then not found for read, update, delete and submit', async (t, live) => {
  const id = await registerFunction(live);
  const { endpointId } = await registerEndpoint(live);
  const deleted = await live.call('DELETE', `/v3/functions/${id}`);
  t.deepEqual([deleted.status, deleted.body], [200, { function_uuid: id, deleted: true }]);
  const notFound = { code: 'FunctionNotFound', reason: `function ${id} not found`, http_status_code: 404 };
  t.deepEqual((await live.call('GET', `/v3/functions/${id}`)).body, notFound);
  t.deepEqual((await live.call('GET', `/v2/functions/${id}`)).body, notFound);
  t.deepEqual((await live.call('PUT', `/v3/functions/${id}`, { body: { description: 'x' } })).body, notFound);
  t.deepEqual((await live.call('DELETE', `/v2/functions/${id}`)).body, notFound);
  const submit = await submitTo(live, endpointId, id, ['{"args":[],"kwargs":{}}']);
  t.deepEqual([submit.status, submit.body], [404, notFound]);
});

serviceTest('tasks queued before a delete still run: the lease carries the function', async (t, live) => {
  const id = await registerFunction(live);
  const { endpointId, credential } = await registerEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, id, ['{"args":[],"kwargs":{}}']);
  t.is((await live.call('DELETE', `/v3/functions/${id}`)).status, 200);
  const leased = await lease(live, endpointId, credential);
  assertSchema(t, 'endpoint-lease-response.json', leased.body);
  t.is(leased.body.tasks[0].task_id, taskId);
  t.deepEqual(leased.body.functions[id], { function_id: id, name: 'hello_world', runtime: 'python', source: HELLO_WORLD.source, entry_point: 'hello_world' });
});

serviceTest('an unknown function id is FunctionNotFound; a malformed one is InvalidUUID', async (t, live) => {
  t.deepEqual((await live.call('GET', `/v3/functions/${NIL_UUID}`)).body, { code: 'FunctionNotFound', reason: `function ${NIL_UUID} not found`, http_status_code: 404 });
  t.deepEqual((await live.call('GET', '/v3/functions/hello_world')).body, { code: 'InvalidUUID', reason: 'function_id "hello_world" is not a UUID', http_status_code: 400 });
  t.deepEqual((await live.call('DELETE', '/v3/functions/1234')).body, { code: 'InvalidUUID', reason: 'function_id "1234" is not a UUID', http_status_code: 400 });
});

serviceTest('a container_image is stored, read back and handed to the endpoint with the leased task\'s function; absent, neither shows it', async (t, live) => {
  const contained = await registerFunction(live, { container_image: 'localhost/science:1' });
  const plain = await registerFunction(live);
  const read = (await live.call('GET', `/v3/functions/${contained}`)).body;
  assertSchema(t, 'function.json', read);
  t.is(read.container_image, 'localhost/science:1');
  t.false('container_image' in (await live.call('GET', `/v3/functions/${plain}`)).body);
  const { endpointId, credential } = await registerEndpoint(live);
  await submitOk(live, endpointId, contained, ['{"args": [], "kwargs": {}}']);
  await submitOk(live, endpointId, plain, ['{"args": [], "kwargs": {}}']);
  const leased = await lease(live, endpointId, credential);
  assertSchema(t, 'endpoint-lease-response.json', leased.body);
  t.is(leased.body.functions[contained].container_image, 'localhost/science:1');
  t.false('container_image' in leased.body.functions[plain]);
});
