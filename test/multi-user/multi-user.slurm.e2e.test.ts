/**
 * A multi-user endpoint whose per-user endpoints use the Slurm provider, on the
 * one-node cluster test/helpers/slurm.ts starts: a user's blocks are sbatch jobs
 * submitted by that user's per-user endpoint, so Slurm records the user as the
 * job's owner and runs the worker manager, and the task, as that user.
 * Needs root and slurm-wlm + munge; skips loudly otherwise.
 */
import test from 'ava';
import { ROOT_MISSING } from '../helpers/localAccounts.js';
import { requireRealPart } from '../helpers/realPart.js';
import { slurmMissing, startSlurmCluster, type SlurmCluster } from '../helpers/slurm.js';
import { result, run, startSite } from './site.js';

const missing = ROOT_MISSING ?? slurmMissing();
let cluster: SlurmCluster | undefined;

const IN_JOB = `
def in_job():
    import os
    return {"uid": os.getuid(), "job": os.environ.get("SLURM_JOB_ID"), "job_user": os.environ.get("SLURM_JOB_USER"), "job_uid": os.environ.get("SLURM_JOB_UID")}
`;

if (requireRealPart('multi-user endpoints on Slurm', missing, { requiredBy: 'FUNCX_TEST_REQUIRE_SLURM' })) {
  test.before(async () => {
    cluster = await startSlurmCluster();
  });
  test.after.always(async () => {
    await cluster?.stop();
  });

  test.serial('a per-user endpoint\'s blocks are submitted by its user and run as that user', async (t) => {
    await cluster!.cancelAll();
    const site = await startSite(t, {
      environment: cluster!.env,
      provider: {
        type: 'slurm', partition: 'debug', walltime: '10m', nodes_per_block: 1, max_workers_per_node: 1,
        init_blocks: 0, min_blocks: 0, max_blocks: 1, max_idletime: '2s', strategy_period: '300ms',
        listen_address: '127.0.0.1', listen_port: 0, manager_heartbeat_period: '300ms', manager_timeout: '30s',
      },
    });
    const fn = (await site.live.call('POST', '/v3/functions', { body: { runtime: 'python', source: IN_JOB, entry_point: 'in_job', public: true } })).body.function_uuid;
    const { alice } = site.accounts;
    const done = await result(site, 'alice', await run(site, 'alice', fn, []));
    t.is(done.status, 'success', JSON.stringify(done));
    const seen = JSON.parse(done.result);
    t.truthy(seen.job, 'ran inside a Slurm job');
    t.deepEqual(seen, { uid: alice.uid, job: seen.job, job_user: alice.name, job_uid: String(alice.uid) });
  });
}
