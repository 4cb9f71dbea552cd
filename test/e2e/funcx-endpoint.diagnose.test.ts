/**
 * `funcx-endpoint diagnose NAME` makes a .tar.gz an admin can send: the endpoint's config and
 * identity, the last log lines, versions, connectivity to the service (directly and through the
 * proxy the environment names), disk and open files, and no secret: secrets planted in
 * config.yaml, the log, the proxy URL and the environment, and the endpoint's real credential
 * and the owner's token, appear nowhere in the extracted files.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import YAML from 'yaml';
import { serviceTest } from '../helpers/service.js';
import { runEndpointCli, startEndpointProcess } from '../helpers/endpointProcess.js';
import { readIdentity } from '../../endpoint/identity.js';

/** A forwarding HTTP proxy (absolute-URI GETs), on port 0; counts what it forwarded. */
async function httpProxy(t: ExecutionContext): Promise<{ port: number; forwarded: string[] }> {
  const forwarded: string[] = [];
  const server = http.createServer((request, response) => {
    forwarded.push(`${request.method} ${request.url} ${request.headers['proxy-authorization'] ? 'with' : 'without'} proxy auth`);
    const target = new URL(request.url!);
    const upstream = http.request(target, { method: request.method, headers: { ...request.headers, host: target.host } }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, forwarded };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
}

serviceTest('diagnose packs config, log tail, versions, connectivity (direct and through the proxy), disk and open files, with every secret redacted', async (t, live) => {
  const home = path.join(live.database.dir, 'eps');
  const endpoint = await startEndpointProcess(t, live, {
    name: 'diag',
    home,
    config: { provider: { type: 'local', max_blocks: 1, init_blocks: 0, min_blocks: 0, worker_init: ['export API_TOKEN=PLANTED-worker-init', 'conda activate science'] } },
  });
  const credential = readIdentity(endpoint.paths)!.credential;
  t.regex(credential, /^fxe_/);
  appendFileSync(endpoint.paths.config, '# the database: mysql://funcx:PLANTED-comment@db/funcx\n');
  appendFileSync(endpoint.paths.log, [
    '{"level":30,"msg":"a line with a secret","client_secret":"PLANTED-log-json"}',
    'connecting to mysql://funcx:PLANTED-db-password@db.example/funcx with Authorization: Bearer PLANTED-bearer',
    'the last line before diagnose',
  ].join('\n') + '\n');
  const proxy = await httpProxy(t);
  const out = path.join(live.database.dir, 'out');
  mkdirSync(out);
  const bundle = path.join(out, 'diag.tar.gz');
  const made = await runEndpointCli(home, ['diagnose', 'diag', '--output', bundle, '--lines', '50'], {
    FUNCX_TOKEN: live.adminToken,
    HTTP_PROXY: `http://proxyuser:PLANTED-proxy-password@127.0.0.1:${proxy.port}`,
    http_proxy: '', NO_PROXY: '', no_proxy: '',
    FUNCX_EXTRA_PASSWORD: 'PLANTED-env',
  });
  t.is(made.code, 0, made.stderr);
  t.is(made.stdout.trim(), bundle);
  t.is(statSync(bundle).mode & 0o777, 0o600);

  const extracted = path.join(live.database.dir, 'extracted');
  mkdirSync(extracted);
  execFileSync('tar', ['-xzf', bundle, '-C', extracted]);
  const files = filesUnder(extracted);
  const byName = Object.fromEntries(files.map((file) => [path.basename(file), readFileSync(file, 'utf8')]));
  t.deepEqual(Object.keys(byName).sort(), ['README.txt', 'config.yaml', 'connectivity.txt', 'endpoint.json', 'endpoint.log.tail', 'environment.txt', 'state.txt', 'system.txt', 'versions.txt']);

  // No secret anywhere, in any file.
  const everything = Object.values(byName).join('\n');
  for (const secret of [credential, live.adminToken, 'PLANTED']) t.false(everything.includes(secret), `a secret is in the bundle: ${secret.slice(0, 12)}…`);

  // And what an admin needs is there.
  t.like(YAML.parse(byName['config.yaml']), { service_url: live.url, provider: { worker_init: ['export API_TOKEN=[REDACTED]', 'conda activate science'] } });
  t.like(JSON.parse(byName['endpoint.json']), { endpoint_id: endpoint.endpointId, credential: '[REDACTED]' });
  t.true(byName['endpoint.log.tail'].trimEnd().endsWith('the last line before diagnose'));
  t.regex(byName['endpoint.log.tail'], /mysql:\/\/funcx:\[REDACTED\]@db\.example/);
  t.regex(byName['versions.txt'], new RegExp(`^node ${process.version.replace(/\./g, '\\.')}`, 'm'));
  t.regex(byName['versions.txt'], /^python: Python 3\.\d+/m);
  t.regex(byName['versions.txt'], /^slurm \(sbatch\): /m);
  t.regex(byName['connectivity.txt'], /^direct GET \/v2\/version: HTTP 200/m);
  t.regex(byName['connectivity.txt'], /^proxy: HTTP_PROXY=http:\/\/proxyuser:\[REDACTED\]@127\.0\.0\.1:\d+$/m);
  t.regex(byName['connectivity.txt'], /^through the proxy GET \/v2\/version: HTTP 200/m);
  t.deepEqual(proxy.forwarded, [`GET ${live.url}/v2/version with proxy auth`]);
  t.regex(byName['state.txt'], new RegExp(`state: Running \\(pid ${endpoint.child.pid}\\)`));
  t.regex(byName['system.txt'], new RegExp(`open files: pid ${endpoint.child.pid}: \\d+ open; Max open files`));
  t.regex(byName['system.txt'], /^disk: .* GiB free of .* GiB/m);
  t.regex(byName['environment.txt'], /^FUNCX_TOKEN=\[REDACTED\]$/m);
  t.regex(byName['environment.txt'], /^FUNCX_EXTRA_PASSWORD=\[REDACTED\]$/m);
});
