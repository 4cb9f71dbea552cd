/** search_function: q against name, description, owner and source, case-insensitively; paging with a total. */
import { assertSchema, serviceTest, type LiveService } from '../helpers/service.js';
import { registerFunction } from './support.js';

async function search(t: import('ava').ExecutionContext, live: LiveService, query: string, token?: string) {
  const response = await live.call('GET', `/v3/functions${query}`, { token });
  t.is(response.status, 200, JSON.stringify(response.body));
  assertSchema(t, 'function-search-response.json', response.body);
  return response.body as { total: number; offset: number; limit: number; functions: { function_uuid: string; name: string }[] };
}

serviceTest('paging: every match once across pages, with the total on each page', async (t, live) => {
  const ids = new Set<string>();
  for (let i = 0; i < 7; i++) ids.add(await registerFunction(live, { name: `hello_${i}` }));
  await registerFunction(live, { runtime: 'shell', name: 'other', source: 'date', entry_point: undefined, description: 'clock' });
  const seen: string[] = [];
  for (let offset = 0; offset < 9; offset += 3) {
    const page = await search(t, live, `?q=HELLO&offset=${offset}&limit=3`);
    t.deepEqual([page.total, page.offset, page.limit], [7, offset, 3]);
    t.is(page.functions.length, Math.min(3, 7 - offset));
    seen.push(...page.functions.map((f) => f.function_uuid));
  }
  t.deepEqual([...seen].sort(), [...ids].sort()); // each once: no gaps, no repeats
  const past = await search(t, live, '?q=hello&offset=50');
  t.deepEqual([past.total, past.offset, past.limit, past.functions], [7, 50, 10, []]);
  const defaults = await search(t, live, '');
  t.deepEqual([defaults.total, defaults.offset, defaults.limit, defaults.functions.length], [8, 0, 10, 8]);
});

serviceTest('q matches name, description, owner and source, in any case; LIKE wildcards are literal', async (t, live) => {
  const byName = await registerFunction(live, { name: 'MonteCarloPi', description: '', source: 'def f():\n    pass\n', entry_point: 'f' });
  const byDescription = await registerFunction(live, { name: 'f2', description: 'Estimates PI by Monte-Carlo', source: 'def f():\n    pass\n', entry_point: 'f' });
  const bySource = await registerFunction(live, { runtime: 'shell', name: 'echo', description: '', source: 'echo {greeting}_100%', entry_point: undefined });
  const ids = async (q: string) => (await search(t, live, `?q=${encodeURIComponent(q)}`)).functions.map((f) => f.function_uuid).sort();
  t.deepEqual(await ids('montecarlo'), [byName]);
  t.deepEqual(await ids('MONTE-CARLO'), [byDescription]);
  t.deepEqual(await ids('{GREETING}'), [bySource]);
  t.deepEqual(await ids('aDmIn'), [byName, byDescription, bySource].sort()); // the owner
  t.deepEqual(await ids('_100%'), [bySource]);
  t.deepEqual(await ids('%'), [bySource]); // only the source holds a literal %
  t.deepEqual(await ids('e_h'), []); // _ is not "any character" ("ech" in echo would match)
  t.deepEqual(await ids('nothing like this'), []);
  t.deepEqual(await ids('  MonteCarloPi  '), [byName]); // surrounding blanks are ignored
});

serviceTest('others find only what is searchable and theirs to run; the owner finds everything of theirs', async (t, live) => {
  const bob = await live.tokenFor('bob', ['physics']);
  const carol = await live.tokenFor('carol');
  await registerFunction(live, { name: 'private_hidden' });
  await registerFunction(live, { name: 'public_hidden', public: true }); // runnable by all, not listed
  const listed = await registerFunction(live, { name: 'public_listed', public: true, searchable: true });
  const grouped = await registerFunction(live, { name: 'group_listed', group_ids: ['physics'], searchable: true });
  const bobsOwn = await registerFunction(live, { name: 'bobs_private' }, bob);
  const names = async (token: string) => (await search(t, live, '?limit=100', token)).functions.map((f) => f.name).sort();
  t.deepEqual(await names(live.adminToken), ['group_listed', 'private_hidden', 'public_hidden', 'public_listed']);
  t.deepEqual(await names(bob), ['bobs_private', 'group_listed', 'public_listed']);
  t.deepEqual(await names(carol), ['public_listed']);
  const bobsTotal = await search(t, live, '?q=listed', bob);
  t.deepEqual(bobsTotal.functions.map((f) => f.function_uuid).sort(), [grouped, listed].sort());
  t.is(bobsTotal.total, 2);
  t.truthy(bobsOwn);
});

serviceTest('bad paging is refused, naming the query parameter', async (t, live) => {
  const tooMany = await live.call('GET', '/v3/functions?limit=1000');
  t.deepEqual(tooMany.body, {
    code: 'RequestMalformed', reason: 'query parameter "limit" must be a whole number from 1 to 100 (got "1000")', http_status_code: 400,
    details: [{ location: 'query', path: '/limit', message: 'must be a whole number from 1 to 100', params: { parameter: 'limit' } }],
  });
  const negative = await live.call('GET', '/v3/functions?offset=-1');
  t.like(negative.body, { code: 'RequestMalformed', reason: 'query parameter "offset" must be a whole number from 0 to 1000000000 (got "-1")', http_status_code: 400 });
  const word = await live.call('GET', '/v3/functions?limit=ten');
  t.like(word.body, { code: 'RequestMalformed', reason: 'query parameter "limit" must be a whole number from 1 to 100 (got "ten")', http_status_code: 400 });
  const unknown = await live.call('GET', '/v3/functions?query=hello');
  t.like(unknown.body, { code: 'RequestMalformed', reason: 'invalid request: query has an unknown field "query"', http_status_code: 400 });
});

serviceTest('an MPI function is found like any other, and the answer keeps to its schema', async (t, live) => {
  const mpi = await registerFunction(live, { runtime: 'mpi', name: 'ranks', source: '$PARSL_MPI_PREFIX hostname', entry_point: undefined, description: 'mpi' });
  const page = await search(t, live, '?q=ranks');
  t.deepEqual(page.functions.map((f) => [f.function_uuid, (f as { runtime?: string }).runtime]), [[mpi, 'mpi']]);
});
