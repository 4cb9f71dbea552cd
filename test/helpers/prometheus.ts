/**
 * Debian's Prometheus for tests: `promtool check metrics` on a scrape, and a
 * real server started on a free port with a generated config in a temp dir,
 * stopped and removed at teardown. Tests that need it skip loudly when the
 * binaries are missing (.ci/run installs the `prometheus` package).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import YAML from 'yaml';
import { findBinary, freePort } from './mariadb.js';

export const PROMETHEUS = findBinary('prometheus');
export const PROMTOOL = findBinary('promtool');

/** promtool's verdict on a scrape: exit code 0 and nothing printed when it passes. */
export function promtoolCheck(text: string): { ok: boolean; output: string } {
  const run = spawnSync(PROMTOOL!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
}

export interface ScrapeJob {
  job: string;
  /** host:port */
  target: string;
  bearer?: string;
}

export interface RunningPrometheus {
  url: string;
  /** An instant query; the result vector. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  output(): string;
}

export async function startPrometheus(t: ExecutionContext, jobs: ScrapeJob[]): Promise<RunningPrometheus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-prometheus-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = {
    global: { scrape_interval: '500ms', scrape_timeout: '400ms' },
    scrape_configs: jobs.map((job) => ({
      job_name: job.job,
      static_configs: [{ targets: [job.target] }],
      ...(job.bearer ? { authorization: { type: 'Bearer', credentials: job.bearer } } : {}),
    })),
  };
  writeFileSync(path.join(dir, 'prometheus.yml'), YAML.stringify(config));
  const port = await freePort();
  const child = spawn(PROMETHEUS!, [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`prometheus exited:\n${output}`);
    if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) break;
    if (i > 600) throw new Error(`prometheus not ready after 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const running: RunningPrometheus = {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = await response.json() as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] }; error?: string };
      if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
      return body.data.result;
    },
    output: () => output,
  };
  // Ready is not scraping: targets reach the scrape loops only after discovery's first update
  // (about 5 s). Wait until every job has been scraped successfully once.
  for (let i = 0; ; i++) {
    const up = await running.query('up == 1');
    if (up.length === jobs.length) break;
    if (i > 600) throw new Error(`prometheus did not scrape every target within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return running;
}
