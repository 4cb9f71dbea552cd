/**
 * endpoint.log rotation (endpoint/logRotation.ts) on real files, and in a real detached agent:
 * past log_max_bytes the log's content moves to .1 (older files shift up, the one past
 * log_backups is deleted), and a writer that holds the file open for appending (as the agent's
 * stdout and stderr do) carries on at the start of the emptied file.
 */
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { rotateIfLarge } from '../../endpoint/logRotation.js';
import { serviceTest } from '../helpers/service.js';
import { runEndpointCli, waitFor } from '../helpers/endpointProcess.js';

test('past the size, the log moves to .1, older ones shift up, the oldest past the count goes, and an appending writer continues at the start', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-logrot-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'endpoint.log');
  const fd = openSync(log, 'a');
  t.teardown(() => closeSync(fd));
  const fill = (label: string) => writeSync(fd, `${label}\n`.padStart(200, '.'));
  fill('first');
  t.false(rotateIfLarge(log, 1000, 2), 'under the size: left alone');
  for (const label of ['a', 'b', 'c', 'd', 'e', 'f']) fill(label);
  t.true(rotateIfLarge(log, 1000, 2));
  t.is(statSync(log).size, 0);
  t.true(readFileSync(`${log}.1`, 'utf8').endsWith('f\n'));
  fill('second');
  t.is(readFileSync(log, 'utf8'), `${'second\n'.padStart(200, '.')}`, 'the appending writer writes at the start of the emptied file, no hole');
  for (const label of ['g', 'h', 'i', 'j', 'k']) fill(label);
  t.true(rotateIfLarge(log, 1000, 2));
  t.true(readFileSync(`${log}.2`, 'utf8').endsWith('f\n'), 'the first rotation is now .2');
  t.true(readFileSync(`${log}.1`, 'utf8').endsWith('k\n'));
  for (const label of ['l', 'm', 'n', 'o', 'p', 'q']) fill(label);
  t.true(rotateIfLarge(log, 1000, 2));
  t.false(existsSync(`${log}.3`), 'only log_backups files are kept');
  t.true(readFileSync(`${log}.2`, 'utf8').endsWith('k\n'));
  t.true(readFileSync(`${log}.1`, 'utf8').endsWith('q\n'));
});

serviceTest('a detached endpoint rotates its endpoint.log at log_max_bytes, keeps log_backups files, and logs on into the emptied file', async (t, live) => {
  const home = path.join(live.database.dir, 'eps');
  t.is((await runEndpointCli(home, ['configure', 'chatty', '--service-url', live.url, '--max-workers', '1'])).code, 0);
  const configFile = path.join(home, 'chatty', 'config.yaml');
  writeFileSync(configFile, YAML.stringify({ ...YAML.parse(readFileSync(configFile, 'utf8')), log_max_bytes: 4096, log_backups: 2 }));
  const started = await runEndpointCli(home, ['start', 'chatty', '--detach'], { FUNCX_TOKEN: live.adminToken });
  t.teardown(() => runEndpointCli(home, ['stop', 'chatty']).then(() => undefined));
  t.is(started.code, 0, started.stderr);
  const log = path.join(home, 'chatty', 'endpoint.log');
  // An idle agent logs little: weeks of output are stood in for by a block appended to its log
  // (as its own writes are: O_APPEND), marked so each rotation's file can be told apart.
  for (const mark of ['one', 'two', 'three']) {
    appendFileSync(log, `${mark}\n`.padStart(5000, '#'));
    await waitFor(() => statSync(log).size < 5000 && existsSync(`${log}.1`) && readFileSync(`${log}.1`, 'utf8').includes(`#${mark}\n`), `the agent to rotate past the block "${mark}"`, 60_000);
  }
  t.true(readFileSync(`${log}.2`, 'utf8').includes('#two\n'), 'the previous rotation shifted to .2');
  t.false(existsSync(`${log}.3`), 'log_backups: 2');
  const stopped = await runEndpointCli(home, ['stop', 'chatty']);
  t.is(stopped.code, 0, stopped.stderr);
  // The agent's last line went into the emptied endpoint.log, at its start (no hole of zeros).
  const after = readFileSync(log, 'utf8');
  t.regex(after, /exits: SIGTERM received/);
  t.false(after.includes('\0'));
});
