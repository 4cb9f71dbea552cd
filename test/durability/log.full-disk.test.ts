/**
 * A process whose log (stdout) is a file on a full disk keeps running: the line that could not
 * be written stays buffered and is written with the next line once there is room. This is how
 * `funcx-endpoint start` (detached, logging to endpoint.log) and the service log.
 */
import test from 'ava';
import { requireRealPart } from '../helpers/realPart.js';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fillDisk, mountTmpfs, tmpfsUnavailable } from '../helpers/tmpfs.js';
import { waitFor } from '../helpers/endpointProcess.js';

const LOGGER = fileURLToPath(new URL('../../src/logger.js', import.meta.url));
const TITLE = 'a log file on a full disk does not stop the process; the unwritten line is written once there is room';
const unavailable = tmpfsUnavailable();

// The child: logs "first" (the disk is full), says so on stderr, waits for the gate, logs "after", exits 0.
const CHILD = `
  const { existsSync } = await import('node:fs');
  const { createLogger } = await import(${JSON.stringify(LOGGER)});
  const [gate] = process.argv.slice(1);
  const log = createLogger('info', 'disk-test');
  log.info('first');
  setTimeout(async () => {
    process.stderr.write('logged first\\n');
    for (let i = 0; i < 1200 && !existsSync(gate); i++) await new Promise((r) => setTimeout(r, 50));
    log.info('after');
    log.flush(() => process.exit(0));
  }, 200);
`;

if (requireRealPart(TITLE, unavailable)) {
  test(TITLE, async (t) => {
    t.timeout(120_000);
    const disk = await mountTmpfs(t, 1);
    const logFile = path.join(disk, 'endpoint.log');
    const fd = openSync(logFile, 'a');
    const filler = fillDisk(disk);
    const gate = path.join(path.dirname(disk), `${path.basename(disk)}.gate`);
    t.teardown(() => rmSync(gate, { force: true }));
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, gate], { stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    let said = '';
    child.stderr!.on('data', (chunk) => (said += chunk));
    const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
    t.teardown(() => child.kill('SIGKILL'));
    await waitFor(() => said.includes('logged first') || child.exitCode !== null, 'the child to log on a full disk', 60_000);
    t.is(child.exitCode, null, `the child exited on a full disk:\n${said}`);
    t.false(readFileSync(logFile, 'utf8').includes('"msg":"first"'), 'the disk was full: nothing written yet');
    rmSync(filler);
    writeFileSync(gate, '');
    t.is(await exited, 0, said);
    const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg);
    // Each line once. Their order is not promised: the async destination may write the new line
    // before the one it kept from the failed write (seen in a clean-clone CI run).
    t.deepEqual([...lines].sort(), ['after', 'first']);
    t.true(existsSync(logFile));
  });
}
