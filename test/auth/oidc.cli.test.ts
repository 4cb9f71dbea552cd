/** funcx-service in oidc mode: no local tokens to hand out, and a half-configured start is refused with every problem named. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));

function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FUNCX_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...clean, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('token create in oidc mode refuses (users bring the provider\'s tokens); serve without the oidc options names each', async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-oidc-cli-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const oidc = {
    FUNCX_HOME: home, FUNCX_AUTH_MODE: 'oidc', FUNCX_OIDC_ISSUER: 'https://login.example.org', FUNCX_OIDC_CLIENT_ID: 'funcx',
    FUNCX_OIDC_CLIENT_SECRET: 'do-not-print-me', FUNCX_OIDC_AUDIENCE: 'https://funcx.example.org',
  };
  const token = await run(['token', 'create', '--user', 'alice'], oidc);
  t.is(token.code, 2);
  t.is(token.stdout, '');
  t.regex(token.stderr, /FUNCX_AUTH_MODE=oidc: users bring access tokens from the identity provider; local API tokens are not accepted/);

  const serve = await run(['serve'], { FUNCX_HOME: home, FUNCX_AUTH_MODE: 'oidc', FUNCX_OIDC_CLIENT_SECRET: 'do-not-print-me', FUNCX_PORT: '0' });
  t.is(serve.code, 1);
  t.regex(serve.stderr, /FUNCX_OIDC_ISSUER: required when FUNCX_AUTH_MODE=oidc/);
  t.regex(serve.stderr, /FUNCX_OIDC_AUDIENCE: required/);
  t.false((serve.stderr + serve.stdout).includes('do-not-print-me'));
});
