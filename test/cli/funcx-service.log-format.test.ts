/**
 * `funcx-service serve` logs JSON lines when stdout is a pipe and human-readable
 * lines (pino-pretty) when it is a terminal. The terminal is a real pseudo-terminal
 * from util-linux `script`; the child is killed in teardown either way.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { requireRealPart } from '../helpers/realPart.js';

const CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));
const hasScript = spawnSync('script', ['--version']).status === 0;

/** Runs serve until its "listening" log line appears on stdout; returns stdout so far. */
async function serveUntilListening(t: ExecutionContext, underTerminal: boolean, extraEnv: Record<string, string> = {}): Promise<string> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-logfmt-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FUNCX_') && k !== 'NO_COLOR')), FUNCX_HOME: home, FUNCX_PORT: '0', ...extraEnv };
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} serve`;
  // script gives the child a pty as stdout; -e keeps its exit status, -q drops the banner.
  const child = underTerminal
    ? spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    : spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    try {
      process.kill(-child.pid!, 'SIGKILL'); // the whole group: script and the service under it
    } catch {
      // already gone
    }
    await exited;
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      if (/funcx service listening/.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`serve exited before listening:\n${out}`));
    });
  });
}

test('serve logs one JSON object per line when stdout is not a terminal', async (t) => {
  const out = await serveUntilListening(t, false);
  const line = out.split('\n').find((l) => l.includes('funcx service listening'))!;
  t.like(JSON.parse(line), { msg: 'funcx service listening', name: 'funcx-service', level: 30 });
});

if (requireRealPart('serve logs human-readable lines on a terminal', hasScript ? undefined : 'util-linux `script` is not installed')) {
  test('serve logs human-readable lines (not JSON) when stdout is a terminal', async (t) => {
    const out = await serveUntilListening(t, true);
    const line = out.split(/\r?\n/).find((l) => l.includes('funcx service listening'))!;
    t.regex(line, /\[\d\d:\d\d:\d\d\.\d{3}\] .*INFO.* \(funcx-service\): .*funcx service listening/);
    t.throws(() => JSON.parse(line));
    t.true(line.includes('\x1b['), 'in colour on a terminal');
  });

  test('NO_COLOR=1 turns the colour off on a terminal (https://no-color.org)', async (t) => {
    const out = await serveUntilListening(t, true, { NO_COLOR: '1' });
    const line = out.split(/\r?\n/).find((l) => l.includes('funcx service listening'))!;
    t.regex(line, /\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(funcx-service\): funcx service listening/);
    t.false(out.includes('\x1b['), 'no escape sequence anywhere');
  });

  test('FUNCX_LOG_FORMAT=json keeps JSON lines on a terminal', async (t) => {
    const out = await serveUntilListening(t, true, { FUNCX_LOG_FORMAT: 'json' });
    const line = out.split(/\r?\n/).find((l) => l.includes('funcx service listening'))!;
    t.like(JSON.parse(line), { msg: 'funcx service listening' });
  });
}
