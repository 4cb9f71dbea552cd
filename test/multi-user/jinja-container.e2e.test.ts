/**
 * Upstream's dynamic-containers tutorial, end to end, as root: a multi-user
 * endpoint whose Jinja template takes the worker container image from each
 * submission's user_endpoint_config (checked by the schema), per-user
 * endpoints started as a throwaway account, and their workers in that
 * account's own (rootless) podman, one image per submission. Skips loudly
 * without root, podman, runc or newuidmap (Debian: uidmap).
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { podmanMissing, testImage } from '../helpers/podman.js';
import { requireRealPart } from '../helpers/realPart.js';
import { findBinary } from '../helpers/mariadb.js';
import { result, run, startSite } from './site.js';
import type { LocalAccount } from '../../endpoint/multiUser/accounts.js';

const exec = promisify(execFile);

const TEMPLATE = `display_name: containers for {{ _GC.mapped_identity.local.uname }}
heartbeat_period: 500ms
poll_wait: 2s
grace_period: 2s
runtimes: [python]
provider: {type: local}
container:
  type: podman
  image: {{ container_uri }}
  options: [--runtime, runc, --ulimit, "nofile=512:512", --ulimit, "nproc=1024:1024", --network, none]
`;
// nofile 512: the site's limits (multi_user.yaml) give each per-user endpoint 512 open files; a rootless container cannot ask for more.
const SCHEMA = {
  type: 'object',
  required: ['container_uri'],
  properties: { container_uri: { type: 'string', pattern: '^localhost/[a-z0-9._/-]+:[A-Za-z0-9._-]+$' } },
  additionalProperties: false,
};
const MARKER = `
def marker():
    import os
    with open('/etc/funcx-test-image') as f:
        return {'marker': f.read().strip(), 'uid': os.getuid()}
`;

const missing = podmanMissing() ?? (findBinary('newuidmap') ? undefined : 'newuidmap not installed (apt-get install -y uidmap): per-user endpoints run rootless podman');
if (requireRealPart('dynamic containers through a Jinja template (test/multi-user/jinja-container.e2e)', missing, { requiredBy: 'FUNCX_TEST_REQUIRE_PODMAN' })) {
  test.serial('the worker container image follows each submission\'s user_endpoint_config, in the user\'s own rootless podman', async (t) => {
    const [first, second] = await Promise.all([testImage('tutorial-image-a'), testImage('tutorial-image-b')]);
    const started: { uid?: number } = {};
    // Registered first, so it runs last: rootless podman leaves a pause process of the account behind.
    t.teardown(() => {
      const uid = started.uid;
      if (uid === undefined) return;
      const pids = spawnSync('pgrep', ['-u', String(uid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      for (const dir of [`/tmp/podman-run-${uid}`, `/tmp/containers-user-${uid}`, `/tmp/storage-run-${uid}`]) rmSync(dir, { recursive: true, force: true });
    });
    const site = await startSite(t, { template: { name: 'user_config_template.yaml.j2', text: TEMPLATE, schema: SCHEMA } });
    started.uid = site.accounts.alice.uid;
    await loadImagesAs(t, site.accounts.alice, [first, second]);
    const fn = (await site.live.call('POST', '/v3/functions', { body: { public: true, runtime: 'python', source: MARKER, entry_point: 'marker' } })).body.function_uuid as string;

    const inFirst = await result(site, 'alice', await run(site, 'alice', fn, [], { container_uri: first }));
    const inSecond = await result(site, 'alice', await run(site, 'alice', fn, [], { container_uri: second }));
    t.is(inFirst.status, 'success', JSON.stringify(inFirst));
    t.is(inSecond.status, 'success', JSON.stringify(inSecond));
    t.is(JSON.parse(inFirst.result).marker, 'tutorial-image-a');
    t.is(JSON.parse(inSecond.result).marker, 'tutorial-image-b');
    t.not(inFirst.endpoint_id, inSecond.endpoint_id, 'one per-user endpoint per image');

    const refused = await result(site, 'alice', await run(site, 'alice', fn, [], { container_uri: 'docker.io/evil:1\nprovider: {type: slurm}' }));
    t.is(refused.status, 'failed');
    t.like(refused.exception, { type: 'UserEndpointConfigInvalid' });
  });
}

/** Root's test images into the account's own podman storage (save as root, load as the account). */
async function loadImagesAs(t: { teardown(fn: () => void): void }, account: LocalAccount, images: string[]): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-images-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const env = { HOME: account.home, USER: account.name, LOGNAME: account.name, PATH: '/usr/local/bin:/usr/bin:/bin' };
  for (const [index, image] of images.entries()) {
    const archive = path.join(dir, `${index}.tar`);
    await exec('podman', ['save', '-o', archive, image], { maxBuffer: 1 << 20 });
    chmodSync(archive, 0o644);
    await exec('podman', ['load', '-i', archive], { uid: account.uid, gid: account.gid, cwd: account.home, env, maxBuffer: 1 << 20 });
    if (!existsSync(archive)) throw new Error(`podman save wrote no ${archive}`);
  }
}
