/**
 * The console's charts and Cancel button in Chromium, against a live service
 * whose endpoint the test plays over the API: the endpoint page's charts draw
 * exactly the figures GET /v3/endpoints/{id}/activity answers (read back from
 * the SVG's data attributes), with a title, a description, and a dash pattern
 * and marker per line (readable without colour); the task group's progress
 * bar counts what GET /v2/taskgroup answers; Cancel on a task page cancels it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { BrowserContext, Page } from 'playwright-core';
import { startLiveService, functionAndEndpoint, jsonPayload, type LiveService } from '../helpers/service.js';
import { heartbeat, lease, postResults, submitOk } from '../api/support.js';
import { requireRealPart } from '../helpers/realPart.js';
import { CHROMIUM, browser, screenshotDir, signInToConsole } from '../helpers/chromium.js';

type Bucket = Record<string, number | null | string>;

const signIn = (context: BrowserContext, live: LiveService): Promise<Page> =>
  signInToConsole(context, live.url, live.adminToken);

/** What one chart drew: its minutes, and each series' values by minute. */
async function drawn(page: Page, chartId: string): Promise<{ times: string[]; series: Record<string, string[]>; dashes: string[]; title: string; desc: string }> {
  return page.$eval(`#${chartId}`, (figure) => {
    const svg = figure.querySelector('svg.chart')!;
    const series: Record<string, string[]> = {};
    const dashes: string[] = [];
    for (const group of figure.querySelectorAll('g.series')) {
      series[group.getAttribute('data-series')!] = group.getAttribute('data-values')!.split(',');
      dashes.push(group.querySelector('path')!.getAttribute('stroke-dasharray') ?? '');
    }
    return {
      times: svg.getAttribute('data-times')!.split(','), series, dashes,
      title: svg.querySelector(':scope > title')!.textContent!, desc: svg.querySelector(':scope > desc')!.textContent!,
    };
  });
}

if (requireRealPart('console charts in Chromium', existsSync(CHROMIUM) ? undefined : `no browser at ${CHROMIUM} (apt-get install chromium)`)) {
  test('the endpoint page charts the figures the activity API answers; the group bar counts its tasks; Cancel cancels a task', async (t) => {
    const live = await startLiveService(t, 'sqlite');
    const { functionId, endpointId, credential } = await functionAndEndpoint(live);
    const [, , waiting] = await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2), jsonPayload(3)]);
    const [ok, bad] = (await lease(live, endpointId, credential, 2)).body.tasks;
    await postResults(live, endpointId, credential, [
      { task_id: ok.task_id, lease_token: ok.lease_token, status: 'success', result: '2' },
      { task_id: bad.task_id, lease_token: bad.lease_token, status: 'failed', exception: { type: 'ValueError', message: 'no' } },
    ]);
    await heartbeat(live, endpointId, credential, { total_workers: 4, idle_workers: 1, pending_tasks: 2 });
    const page = await signIn(await browser(t), live);

    await page.goto(`${live.url}/console#/endpoints/${endpointId}`);
    await page.waitForSelector('#chart-tasks g.series');
    const workers = await drawn(page, 'chart-workers');
    const tasks = await drawn(page, 'chart-tasks');
    const api = (await live.call('GET', `/v3/endpoints/${endpointId}/activity?window=3600`)).body.buckets as Bucket[];
    // A minute may have turned between the page's call and ours: compare the minutes both have.
    const byTime = new Map(api.map((b) => [b.t as string, b]));
    const shared = workers.times.filter((time) => byTime.has(time));
    t.true(shared.length >= 59, `the chart covers the API's hour (${shared.length} minutes in common)`);
    const show = (v: number | null | string | undefined) => (v === null || v === undefined ? '' : String(v));
    for (const [chart, keys] of [[workers, ['workers_busy', 'workers_idle']], [tasks, ['queued', 'finished', 'failed']]] as const) {
      t.deepEqual(Object.keys(chart.series), [...keys]);
      for (const key of keys) {
        const values = chart.series[key];
        t.deepEqual(shared.map((time) => values[chart.times.indexOf(time)]), shared.map((time) => show(byTime.get(time)![key])), key);
      }
      t.is(new Set(chart.dashes).size, keys.length, 'each line has its own dash pattern');
    }
    t.is(tasks.series.finished.reduce((sum, v) => sum + Number(v || 0), 0), 2);
    t.is(tasks.series.failed.reduce((sum, v) => sum + Number(v || 0), 0), 1);
    t.is(workers.title, 'Workers, last hour');
    t.regex(workers.desc, /busy latest 3; idle latest 1/);
    t.regex((await page.textContent('#chart-tasks .legend'))!, /queued: latest 3/);
    t.is(await page.$$eval('#chart-tasks g.series[data-series="failed"] title', (titles) => titles.map((x) => x.textContent).filter((x) => x!.endsWith('failed per minute: 1')).length), 1, 'the point where a task failed has a title with its value');
    await page.screenshot({ path: path.join(screenshotDir(), 'console-endpoint-charts.png'), fullPage: true });

    // The task group page: a progress bar whose counts are the group's.
    const group = (await live.call('GET', `/v2/tasks/${ok.task_id}`)).body.task_group_id as string;
    await page.goto(`${live.url}/console#/taskgroups/${group}`);
    await page.waitForSelector('#chart-group rect[data-part="success"]');
    const counts = await page.$$eval('#chart-group rect[data-part]', (rects) => Object.fromEntries(rects.map((r) => [r.getAttribute('data-part'), Number(r.getAttribute('data-count'))])));
    const listed = (await live.call('GET', `/v2/taskgroup/${group}`)).body.tasks as { status: string }[];
    const apiCount = (status: string) => listed.filter((task) => task.status === status).length;
    t.deepEqual(counts, { success: apiCount('success'), failed: apiCount('failed'), cancelled: 0, running: apiCount('running'), waiting: apiCount('waiting-for-ep') });
    t.deepEqual(counts, { success: 1, failed: 1, cancelled: 0, running: 0, waiting: 1 });
    t.regex((await page.textContent('#chart-group desc'))!, /succeeded 1, failed 1, cancelled 0, running 0, waiting 1 of 3/);

    // Cancel on the waiting task's page.
    await page.goto(`${live.url}/console#/tasks/${waiting}`);
    await page.waitForSelector('#task-status [data-status="waiting-for-ep"]');
    await page.click('#task-cancel');
    await page.waitForSelector('#task-status [data-status="cancelled"]');
    t.is((await live.call('GET', `/v2/tasks/${waiting}`)).body.status, 'cancelled');
    t.falsy(await page.$('#task-cancel'), 'no Cancel button on a finished task');
    // A finished task has no Cancel button to begin with.
    await page.goto(`${live.url}/console#/tasks/${ok.task_id}`);
    await page.waitForSelector('#task-status [data-status="success"]');
    t.falsy(await page.$('#task-cancel'));
  });
}
