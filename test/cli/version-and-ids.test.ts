/**
 * Small promises of the three commands: `--version` on funcx-service, funcx-endpoint and funcx
 * (the package.json version), and `funcx` refusing a word that is not an id before it sends
 * anything (the service here is a closed port: a request would fail differently).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { packageRoot } from '../../src/util/paths.js';

const exec = promisify(execFile);
const dist = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));
const { version } = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };

const CLIS = {
  'funcx-service': dist('src/cli/funcx-service.js'),
  'funcx-endpoint': dist('endpoint/cli/funcx-endpoint.js'),
  funcx: dist('sdk/cli/funcx.js'),
};

for (const [name, file] of Object.entries(CLIS)) {
  test(`${name} --version prints the package's version`, async (t) => {
    const { stdout } = await exec(process.execPath, [file, '--version'], { env: { PATH: process.env.PATH } });
    t.is(stdout, `${name} ${version}\n`);
  });
}

async function funcx(args: string[]): Promise<{ code: number; stderr: string }> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-ids-'));
  try {
    // Port 9 on loopback: nothing listens, so any request would end in ServiceUnreachable (exit 1).
    const env = { PATH: process.env.PATH, HOME: home, FUNCX_HOME: home, FUNCX_SERVICE_URL: 'http://127.0.0.1:9', FUNCX_TOKEN: 'fxu_x' };
    const done = await exec(process.execPath, [CLIS.funcx, ...args], { env }).then(() => ({ code: 0, stderr: '' }), (error) => ({ code: error.code as number, stderr: String(error.stderr) }));
    return done;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

test("funcx task get with a word that is not a task id says so (exit 2), without asking the service", async (t) => {
  const answer = await funcx(['task', 'get', 'submit']);
  t.is(answer.code, 2);
  t.regex(answer.stderr, /^funcx: not a task id: 'submit'/m);
});

test('funcx task wait, run --endpoint and endpoint status check their ids the same way', async (t) => {
  const uuid = '0b6e7d2c-1b7a-4c1e-9d55-5a0c4c1f2e3a';
  t.regex((await funcx(['task', 'wait', uuid, 'Error:'])).stderr, /not a task id: 'Error:'/);
  t.regex((await funcx(['run', 'double', '21'])).stderr, /not a function id: 'double'/);
  t.regex((await funcx(['run', uuid, '--endpoint', 'laptop'])).stderr, /not an endpoint id: 'laptop'/);
  t.regex((await funcx(['endpoint', 'status', 'laptop'])).stderr, /not an endpoint id: 'laptop'/);
});
