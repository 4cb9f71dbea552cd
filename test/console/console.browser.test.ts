/**
 * The web console in a real browser (helpers/chromium.ts). The test plays the endpoint over the API so each state
 * change happens when it says: a user signs in, watches a task go from waiting
 * to success, opens a failed task's traceback; another user sees none of it.
 * Screenshots of the main views go to a temp dir, or to docs/console-*.png
 * with FUNCX_TEST_SCREENSHOTS=docs (a test run must not dirty the checkout). Skips loudly
 * without /usr/bin/chromium (.ci/run installs it).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { BrowserContext, Page } from 'playwright-core';
import { startLiveService, functionAndEndpoint, jsonPayload, type LiveService } from '../helpers/service.js';
import { heartbeat, lease, postResults, submitOk, submitTo } from '../api/support.js';
import { revokeToken } from '../../src/registry/tokens.js';
import { requireRealPart } from '../helpers/realPart.js';
import { CHROMIUM, browser, screenshotDir, signInToConsole } from '../helpers/chromium.js';

const SCREENSHOTS = screenshotDir();

const signIn = (context: BrowserContext, live: LiveService, token: string): Promise<Page> =>
  signInToConsole(context, live.url, token);

if (requireRealPart('the web console in Chromium', existsSync(CHROMIUM) ? undefined : `no browser at ${CHROMIUM} (apt-get install chromium)`)) {
  test('a user signs in, watches a task go from waiting to success, opens a failed task\'s traceback; another user sees nothing of it', async (t) => {
    const live = await startLiveService(t, 'sqlite');
    const { functionId, endpointId, credential } = await functionAndEndpoint(live);
    await heartbeat(live, endpointId, credential, { total_workers: 4, idle_workers: 3, outstanding_tasks: 1, pending_tasks: 0, hostname: 'node-1' });
    const context = await browser(t);

    // A wrong token is refused.
    const refused = await context.newPage();
    await refused.goto(`${live.url}/console`);
    await refused.fill('input[name=token]', 'fxu_not-a-token');
    await refused.click('button[type=submit]');
    await refused.waitForSelector('text=the token was refused');
    await refused.close();

    const page = await signIn(context, live, live.adminToken);
    const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(21)]);
    await page.goto(`${live.url}/console#/tasks/${taskId}`);
    await page.waitForSelector('#task-status [data-status="waiting-for-ep"]');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-task-waiting.png') });

    // The endpoint leases it (running), then posts the result: the page follows without a reload.
    const [leased] = (await lease(live, endpointId, credential, 1)).body.tasks;
    await page.waitForSelector('#task-status [data-status="running"]');
    await postResults(live, endpointId, credential, [{ task_id: leased.task_id, lease_token: leased.lease_token, status: 'success', result: '42' }]);
    await page.waitForSelector('#task-status [data-status="success"]');
    t.is(await page.textContent('#task-result'), '42');
    t.true((await page.textContent('main'))!.includes('finished (success)'));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-task-success.png') });

    // A failed task: its exception and traceback.
    const group = (await live.call('GET', `/v2/tasks/${taskId}`)).body.task_group_id as string;
    const second = await submitTo(live, endpointId, functionId, [jsonPayload('x')], { extra: { task_group_id: group } });
    const [failedId] = second.body.tasks[functionId] as string[];
    const [failing] = (await lease(live, endpointId, credential, 1)).body.tasks;
    const traceback = 'Traceback (most recent call last):\n  File "<funcx>", line 2, in double\nTypeError: can only concatenate str (not "int") to str';
    await postResults(live, endpointId, credential, [{ task_id: failing.task_id, lease_token: failing.lease_token, status: 'failed', exception: { type: 'TypeError', message: 'can only concatenate str', traceback } }]);
    await page.goto(`${live.url}/console#/tasks/${failedId}`);
    await page.waitForSelector('#task-traceback');
    t.is(await page.textContent('#task-traceback'), traceback);
    t.is(await page.textContent('#task-exception'), 'TypeError: can only concatenate str');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-task-traceback.png') });

    // The task group page lists both, filterable by status.
    await page.goto(`${live.url}/console#/tasks`);
    await page.fill('input[name=id]', group);
    await page.click('#open-by-id button[type=submit]');
    await page.waitForSelector(`a[href="#/tasks/${taskId}"]`);
    await page.selectOption('select[name=status]', 'failed');
    await page.waitForSelector(`a[href="#/tasks/${taskId}"]`, { state: 'detached' });
    t.truthy(await page.$(`a[href="#/tasks/${failedId}"]`));

    // Endpoints (status, workers, heartbeat history) and functions (search, source).
    await page.goto(`${live.url}/console#/endpoints/${endpointId}`);
    await page.waitForSelector('text=node-1');
    t.true((await page.textContent('main'))!.includes('3 idle of 4'));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-endpoint.png') });
    await page.goto(`${live.url}/console#/functions`);
    await page.waitForSelector(`a[href="#/functions/${functionId}"]`);
    await page.click(`a[href="#/functions/${functionId}"]`);
    await page.waitForSelector('#function-source');
    t.regex((await page.textContent('#function-source'))!, /def double/);

    // Another user, in a tab of their own: nothing of the admin's tasks, endpoint or function.
    const other = await signIn(context, live, await live.tokenFor('mallory'));
    for (const id of [taskId, failedId]) {
      await other.goto(`${live.url}/console#/tasks/${id}`);
      await other.waitForSelector('[data-error="TaskNotFound"]');
      t.falsy(await other.$('#task-traceback'));
    }
    await other.goto(`${live.url}/console#/taskgroups/${group}`);
    await other.waitForSelector('[data-error="TaskGroupNotFound"]');
    await other.goto(`${live.url}/console#/endpoints`);
    await other.waitForSelector('table');
    t.false((await other.textContent('main'))!.includes(endpointId));
    await other.goto(`${live.url}/console#/functions/${functionId}`);
    await other.waitForSelector('[data-error="FunctionNotFound"]');
    t.false((await other.textContent('body'))!.includes('def double'));

    // Their token stops working (revoked at the service, which then refuses it at once): the console
    // forgets it and asks them to sign in again.
    const { id: malloryTokenId } = await live.db('api_tokens').where({ identity: 'mallory' }).first('id');
    t.true(await revokeToken(live.db, malloryTokenId));
    await other.goto(`${live.url}/console#/endpoints`);
    await other.waitForSelector('text=Your session has ended');
    t.truthy(await other.$('input[name=token]'));
    t.is(await other.evaluate('sessionStorage.getItem("funcx-console-token")'), null);
  });
}
