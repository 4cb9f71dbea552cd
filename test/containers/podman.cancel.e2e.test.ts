/**
 * Cancelling a task running in a container (podman): its container is
 * removed (checked by name with `podman ps -a`), and the next task runs in a
 * fresh container. Heartbeats are a minute apart: only the cancel watch brings
 * the cancel within the waits below. SQLite only; skips loudly without podman.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startLiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor, type EndpointProcess } from '../helpers/endpointProcess.js';
import { submit, waitForTasks } from '../helpers/tasks.js';
import { PODMAN_OPTIONS, containersLabelled, podmanMissing, removeContainersAtTeardown, testImage } from '../helpers/podman.js';
import { requireRealPart } from '../helpers/realPart.js';
import { WORKDIR_LABEL } from '../../endpoint/containers/launcher.js';

const missing = podmanMissing();

/** Records its container's hostname in `flag`, then blocks until cancelled. */
const BLOCKS = `def blocks(flag):
    import os, socket, time
    with open(flag + ".tmp", "w") as f:
        f.write(socket.gethostname())
    os.rename(flag + ".tmp", flag)
    time.sleep(600)
`;

const HOST = 'def host():\n    import socket\n    return socket.gethostname()\n';

if (requireRealPart('Podman cancel suite', missing, { requiredBy: 'FUNCX_TEST_REQUIRE_PODMAN' })) {
  test('containers (podman): a running task cancelled: its container is removed, and the next task runs in a fresh one', async (t) => {
    const image = await testImage('default-image');
    const live = await startLiveService(t, 'sqlite', { leaseTimeout: '600s' });
    const started: { endpoint?: EndpointProcess } = {};
    removeContainersAtTeardown(t, WORKDIR_LABEL, () => started.endpoint?.paths.tasks);
    const endpoint = started.endpoint = await startEndpointProcess(t, live, {
      config: { runtimes: ['python'], max_workers: 1, heartbeat_period: '120s', container: { type: 'podman', image, options: PODMAN_OPTIONS } },
    });
    const register = async (source: string, entry: string) => (await live.call('POST', '/v3/functions', { body: { runtime: 'python', source, entry_point: entry } })).body.function_uuid as string;
    // The flag is in the endpoint's task folder, which the container mounts at the same path.
    const flag = path.join(endpoint.paths.tasks, 'flag');
    const [taskId] = await submit(live, endpoint.endpointId, await register(BLOCKS, 'blocks'), [[flag]]);
    await waitFor(() => existsSync(flag), 'the task to start in its container', 120_000);
    const runningIn = readFileSync(flag, 'utf8');
    const before = await containersLabelled(WORKDIR_LABEL, endpoint.paths.tasks);
    t.is(before.length, 1, JSON.stringify(before));
    const cancel = await live.call('POST', `/v3/tasks/${taskId}/cancel`);
    t.is(cancel.status, 200);
    let left: string[] = before;
    await waitFor(async () => !(left = await containersLabelled(WORKDIR_LABEL, endpoint.paths.tasks)).includes(before[0]), 'the cancelled task\'s container to be removed', 40_000);
    t.false(left.includes(before[0]));
    const [next] = await submit(live, endpoint.endpointId, await register(HOST, 'host'), [[]]);
    const done = await waitForTasks(live, [next]);
    t.is(done[next].status, 'success', JSON.stringify(done[next]));
    t.not(JSON.parse(done[next].result), runningIn);
    t.like((await live.call('GET', `/v3/tasks/${taskId}`)).body, { status: 'cancelled', attempts: 1 });
  });
}
