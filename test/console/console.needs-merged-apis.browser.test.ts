/**
 * Console pages built on APIs other branches add (issue 23); these tests pass
 * once those are merged, and fail before (the routes answer 404 or lack the
 * fields). Each names its contract:
 *   1. GET /v3/tasks (My tasks: listing, filters, paging; the landing page after an OIDC sign-in)
 *   2. POST /v3/task_groups/{id}/cancel (Cancel on a task group page)
 *   3. state, state_detail on GET /v3/endpoints/{id}/status (the endpoint page's state and why)
 *   4. reason, history on GET /v3/tasks/{id} (the task page's waiting reason and attempts)
 *   5. GET /v3/tasks/{id}/output (the task page's live output; a real endpoint agent prints)
 * Everything is real: the service, Chromium, the OpenID provider, the agent.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { BrowserContext, Page } from 'playwright-core';
import { startLiveService, functionAndEndpoint, jsonPayload, type LiveService } from '../helpers/service.js';
import { heartbeat, lease, postResults, registerFunction, submitOk, submitTo } from '../api/support.js';
import { requireRealPart } from '../helpers/realPart.js';
import { CHROMIUM, browser, screenshotDir, signInToConsole } from '../helpers/chromium.js';
import { CONSOLE_CLIENT_ID, startTestProvider } from '../helpers/oidcProvider.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { registerPython, submit } from '../helpers/tasks.js';

const signIn = (context: BrowserContext, live: LiveService, token = live.adminToken): Promise<Page> =>
  signInToConsole(context, live.url, token);

/** The task ids the My tasks table shows, in order. */
const listedIds = (page: Page) => page.$$eval('#my-tasks tbody tr td:first-child a', (links) => links.map((a) => a.textContent!));

/**
 * Waits until the My tasks table shows exactly these ids (it reloads after each filter or page
 * change). Polled from here, bounded: a string predicate for waitForFunction is evaluated by eval
 * in the page, which the console's CSP (no 'unsafe-eval') refuses whenever it has to poll.
 */
async function waitForListing(page: Page, ids: string[]): Promise<void> {
  const expected = JSON.stringify(ids);
  for (let i = 0; i < 300; i++) {
    const shown = ids.length === 0 ? ((await page.$('#no-tasks')) ? '[]' : 'not yet') : JSON.stringify(await listedIds(page));
    if (shown === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`My tasks never showed ${expected}; it shows ${JSON.stringify(await listedIds(page))}`);
}

if (requireRealPart('console pages on merged APIs in Chromium', existsSync(CHROMIUM) ? undefined : `no browser at ${CHROMIUM} (apt-get install chromium)`)) {
  test('[contract 1] My tasks lists only my tasks, newest first, filtered by status, function and age, a page at a time', async (t) => {
    const live = await startLiveService(t, 'sqlite');
    const { functionId, endpointId, credential } = await functionAndEndpoint(live);
    const other = await registerFunction(live, { name: 'other' });
    const many = await submitOk(live, endpointId, functionId, Array.from({ length: 30 }, (_, i) => jsonPayload(i)));
    const [single] = await submitOk(live, endpointId, other, [jsonPayload('x')]);
    const [first] = (await lease(live, endpointId, credential, 1)).body.tasks;
    await postResults(live, endpointId, credential, [{ task_id: first.task_id, lease_token: first.lease_token, status: 'success', result: '0' }]);
    const mallory = await live.tokenFor('mallory');
    const { functionId: theirs, endpointId: theirEndpoint } = await functionAndEndpoint(live, { token: mallory });
    const [hidden] = await submitOk(live, theirEndpoint, theirs, [jsonPayload(1)], mallory);

    const page = await signIn(await browser(t), live);
    await page.waitForSelector('h1:text-is("My tasks")');
    const api = async (query: string) => (await live.call('GET', `/v3/tasks?${query}`)).body as { tasks: { task_id: string }[]; next_cursor: string | null };
    const firstPage = await api('limit=25');
    t.is(firstPage.tasks.length, 25);
    await waitForListing(page, firstPage.tasks.map((x) => x.task_id));
    t.is((await listedIds(page))[0], single, 'newest first');
    await page.screenshot({ path: path.join(screenshotDir(), 'console-my-tasks.png') });
    t.false((await listedIds(page)).includes(hidden), 'another user\'s task is not listed');
    await page.click('#older');
    const secondPage = await api(`limit=25&cursor=${encodeURIComponent(firstPage.next_cursor!)}`);
    await waitForListing(page, secondPage.tasks.map((x) => x.task_id));
    t.is(secondPage.tasks.length, 31 - 25);
    t.true(await page.isDisabled('#older'), 'no page after the last');
    await page.click('#newer');
    await waitForListing(page, firstPage.tasks.map((x) => x.task_id));

    await page.selectOption('select[name=status]', 'success');
    await page.click('#task-filters button[type=submit]');
    await waitForListing(page, [first.task_id]);
    t.is(first.task_id, many[0]);
    await page.selectOption('select[name=status]', '');
    await page.fill('input[name=function_id]', other);
    await page.click('#task-filters button[type=submit]');
    await waitForListing(page, [single]);
    await page.fill('input[name=function_id]', '');
    await page.fill('input[name=endpoint_id]', theirEndpoint);
    await page.click('#task-filters button[type=submit]');
    await waitForListing(page, []);
    await page.fill('input[name=endpoint_id]', '');
    await page.selectOption('select[name=since]', '1h');
    await page.click('#task-filters button[type=submit]');
    await waitForListing(page, (await api('since=1h&limit=25')).tasks.map((x) => x.task_id));
  });

  test('[contract 1] after signing in at the OpenID provider, the landing page lists the tasks submitted with that identity', async (t) => {
    const provider = await startTestProvider(t);
    const live = await startLiveService(t, 'sqlite', provider.serviceConfig({ oidcConsoleClientId: CONSOLE_CLIENT_ID }));
    provider.allowConsole(live.url);
    const page = await (await browser(t)).newPage();
    await page.goto(`${live.url}/console`);
    await page.click('#signin');
    await page.waitForSelector('h1:text-is("My tasks")');
    const token = await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem('funcx-console-token'));
    const { functionId, endpointId } = await functionAndEndpoint(live, { token: token! });
    const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)], token!);
    await page.reload();
    await page.waitForSelector(`#my-tasks a[href="#/tasks/${taskId}"]`);
    t.deepEqual(await listedIds(page), [taskId]);
  });

  test('[contract 2] Cancel on a task group page cancels its unfinished tasks and says which had finished', async (t) => {
    const live = await startLiveService(t, 'sqlite');
    const { functionId, endpointId, credential } = await functionAndEndpoint(live);
    const submitted = await submitTo(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2), jsonPayload(3)]);
    const group = submitted.body.task_group_id as string;
    const [done] = (await lease(live, endpointId, credential, 1)).body.tasks;
    await postResults(live, endpointId, credential, [{ task_id: done.task_id, lease_token: done.lease_token, status: 'success', result: '2' }]);
    const page = await signIn(await browser(t), live);
    await page.goto(`${live.url}/console#/taskgroups/${group}`);
    await page.click('#group-cancel');
    await page.waitForSelector('text=Cancelled 2; 1 had finished already.');
    const tasks = (await live.call('GET', `/v2/taskgroup/${group}`)).body.tasks as { id: string; status: string }[];
    t.deepEqual(tasks.map((x) => x.status).sort(), ['cancelled', 'cancelled', 'success']);
    await page.waitForSelector('#chart-group rect[data-part="cancelled"][data-count="2"]');
    await page.waitForSelector('#group-cancel', { state: 'hidden' });
    await page.screenshot({ path: path.join(screenshotDir(), 'console-task-group.png') });
  });

  test('[contract 3] the endpoint page shows the state and why, as the status API tells them', async (t) => {
    const live = await startLiveService(t, 'sqlite');
    const { endpointId, credential } = await functionAndEndpoint(live);
    const page = await signIn(await browser(t), live);
    for (const beat of [false, true]) {
      if (beat) await heartbeat(live, endpointId, credential, { total_workers: 2, idle_workers: 2 });
      const status = (await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body;
      t.true(['online', 'offline', 'lost', 'failed'].includes(status.state), `state ${status.state}`);
      t.is(status.state, beat ? 'online' : 'offline');
      await page.goto(`${live.url}/console#/endpoints/${endpointId}`);
      await page.waitForSelector(`#endpoint-state [data-status="${status.state}"]`);
      if (status.state_detail) t.is(await page.textContent('#endpoint-state-detail'), status.state_detail);
      else t.falsy(await page.$('#endpoint-state-detail'));
      await page.goto(`${live.url}/console#/`);
    }
  });

  test('[contract 4] the task page shows why a task waits and its attempt history', async (t) => {
    const live = await startLiveService(t, 'sqlite');
    const { functionId, endpointId, credential } = await functionAndEndpoint(live);
    const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
    const waiting = (await live.call('GET', `/v3/tasks/${taskId}`)).body;
    t.truthy(waiting.reason, 'a task on an endpoint that never reported waits for a reason');
    const page = await signIn(await browser(t), live);
    await page.goto(`${live.url}/console#/tasks/${taskId}`);
    await page.waitForSelector('#task-reason');
    t.is(await page.textContent('#task-reason'), waiting.reason);
    const [leased] = (await lease(live, endpointId, credential, 1)).body.tasks;
    await postResults(live, endpointId, credential, [{ task_id: leased.task_id, lease_token: leased.lease_token, status: 'success', result: '2' }]);
    await page.waitForSelector('#task-status [data-status="success"]');
    const finished = (await live.call('GET', `/v3/tasks/${taskId}`)).body;
    t.true(Array.isArray(finished.history) && finished.history.length >= 1);
    await page.waitForSelector('#task-history');
    t.is(await page.$$eval('#task-history tbody tr', (rows) => rows.length), finished.history.length);
    t.regex((await page.textContent('#task-history'))!, new RegExp(String(finished.history.at(-1).outcome)));
  });

  test('[contract 5] the task page shows a running task\'s output as it is printed', async (t) => {
    const live = await startLiveService(t, 'sqlite');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-console-output-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const gate = path.join(dir, 'go');
    const functionId = await registerPython(live, [
      'def chatty(gate):',
      '    import os, time',
      '    print("first line", flush=True)',
      '    deadline = time.time() + 120',
      '    while not os.path.exists(gate) and time.time() < deadline:',
      '        time.sleep(0.1)',
      '    print("second line", flush=True)',
      '    return "done"',
    ].join('\n') + '\n', 'chatty');
    const agent = await startEndpointProcess(t, live);
    const [taskId] = await submit(live, agent.endpointId, functionId, [[gate]]);
    const page = await signIn(await browser(t), live);
    await page.goto(`${live.url}/console#/tasks/${taskId}`);
    await page.waitForSelector('#task-output:has-text("first line")', { timeout: 120_000 });
    t.false((await page.textContent('#task-output'))!.includes('second line'), 'the output shows while the task still runs');
    t.is(await page.$eval('#task-status [data-status]', (e) => e.getAttribute('data-status')), 'running');
    writeFileSync(gate, '');
    await page.waitForSelector('#task-status [data-status="success"]', { timeout: 120_000 });
    await page.waitForSelector('#task-output:has-text("second line")', { timeout: 60_000 });
    const output = (await live.call('GET', `/v3/tasks/${taskId}/output?offset=0`)).body;
    t.is(await page.textContent('#task-output'), output.text);
    await page.screenshot({ path: path.join(screenshotDir(), 'console-task-output.png'), fullPage: true });
  });
}
