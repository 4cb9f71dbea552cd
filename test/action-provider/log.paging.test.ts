/** The log pages through the transitions of the action's tasks with limit and marker. */
import { serviceTest } from '../helpers/service.js';
import { DOUBLE, ap, idleEndpoint, newCaller, registerPythonAs, v3Run } from './support.js';

serviceTest('the log pages with limit and marker, and the pages add up to the whole log', async (t, live) => {
  const alice = await newCaller(live);
  const endpointId = await idleEndpoint(live, alice.token);
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const tasks = [1, 2, 3, 4].map((x) => ({ function_id: double, args: [x] }));
  const started = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('logged', endpointId, tasks) });
  const id: string = started.body.action_id;

  const whileQueued = await ap(t, live, 'log', 'GET', `/${id}/log`, { token: alice.token });
  t.is(whileQueued.body.limit, 10, 'the default limit');
  t.deepEqual(whileQueued.body.entries.map((e: { code: string }) => e.code), ['ActionStarted', 'TaskQueued', 'TaskQueued', 'TaskQueued', 'TaskQueued']);
  t.false(whileQueued.body.has_next_page);

  t.is((await ap(t, live, 'status', 'POST', `/${id}/cancel`, { token: alice.token })).status, 200);
  const whole = await ap(t, live, 'log', 'GET', `/actions/${id}/log?limit=100`, { token: alice.token });
  t.is(whole.body.entries.length, 10);
  t.is(whole.body.entries.filter((e: { code: string }) => e.code === 'TaskCancelled').length, 4);
  t.is(whole.body.entries[9].code, 'ActionCompleted');

  const pages: unknown[][] = [];
  let marker: string | null = null;
  do {
    const query: string = `?limit=3${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`;
    const page = await ap(t, live, 'log', 'GET', `/actions/${id}/log${query}`, { token: alice.token });
    t.is(page.status, 200);
    t.is(page.body.limit, 3);
    pages.push(page.body.entries);
    t.is(page.body.has_next_page, page.body.marker !== null);
    marker = page.body.marker;
  } while (marker !== null);
  t.deepEqual(pages.map((p) => p.length), [3, 3, 3, 1]);
  t.deepEqual(pages.flat(), whole.body.entries);

  for (const query of ['?limit=0', '?limit=101', '?limit=ten', '?marker=bm90LWEta2V5']) {
    const bad = await ap(t, live, 'log', 'GET', `/${id}/log${query}`, { token: alice.token });
    t.is(bad.status, 400, query);
    t.is(bad.body.code, 'BadActionRequest');
  }
});
