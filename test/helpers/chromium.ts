/**
 * Debian's headless Chromium driven by playwright-core (its own browser
 * downloads cannot work here), with a fresh profile in a temp dir removed when
 * the test ends; and where the console suites put their screenshots: a temp dir,
 * or docs/ with FUNCX_TEST_SCREENSHOTS=docs (a test run must not dirty the checkout).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { packageRoot } from '../../src/util/paths.js';

export const CHROMIUM = process.env.FUNCX_TEST_CHROMIUM ?? '/usr/bin/chromium';

let screenshots: string | undefined;
export function screenshotDir(): string {
  if (screenshots) return screenshots;
  if (process.env.FUNCX_TEST_SCREENSHOTS === 'docs') return (screenshots = path.join(packageRoot(), 'docs'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-screenshots-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return (screenshots = dir);
}

export async function browser(t: ExecutionContext): Promise<BrowserContext> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'funcx-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 760 },
  });
  t.teardown(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return context;
}

/** A new page of the console at `serviceUrl`, signed in with `token` (an API token, pasted as a user does). */
export async function signInToConsole(context: BrowserContext, serviceUrl: string, token: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${serviceUrl}/console`);
  await page.fill('input[name=token]', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('text=signed in');
  return page;
}
