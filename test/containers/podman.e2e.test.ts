/**
 * Workers in containers, with real Podman (Debian's podman with runc) and an
 * image the suite builds from this machine's files (helpers/podman.ts): the
 * endpoint's config names the engine and its default image, a function may
 * name its own image, each image gets its own warm pool, a worker whose
 * container dies mid-task is retried in a fresh one, and no container outlives
 * the endpoint (`podman ps -a` by the endpoint's label is empty after it stops).
 *
 * SQLite only (the function's container_image column is covered on both
 * databases by the API suite). Skips loudly without podman, runc or root.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startLiveService, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor, type EndpointProcess } from '../helpers/endpointProcess.js';
import { submit, waitForTasks } from '../helpers/tasks.js';
import { PODMAN_OPTIONS, containersLabelled, podmanMissing, removeContainersAtTeardown, testImage } from '../helpers/podman.js';
import { WORKDIR_LABEL } from '../../endpoint/containers/launcher.js';
import { requireRealPart } from '../helpers/realPart.js';

const missing = podmanMissing();

/** Where the code ran: the image's marker file and the container's hostname (its id). */
/** The first call records its container's hostname in `flag` and blocks; a later call (the retry) returns both. */
const ONCE = `def once(flag):
    import os, socket, time
    if os.path.exists(flag):
        return {"first": open(flag).read(), "retry": socket.gethostname()}
    with open(flag + ".tmp", "w") as f:
        f.write(socket.gethostname())
    os.rename(flag + ".tmp", flag)
    time.sleep(600)
`;

const PROBE = `def probe():
    import socket
    with open("/etc/funcx-test-image") as f:
        return {"marker": f.read().strip(), "host": socket.gethostname()}
`;

async function register(live: LiveService, body: Record<string, unknown>): Promise<string> {
  const response = await live.call('POST', '/v3/functions', { body });
  if (response.status !== 201) throw new Error(`register failed: ${JSON.stringify(response.body)}`);
  return response.body.function_uuid;
}

async function runOne(live: LiveService, endpointId: string, fn: string, args: unknown[] = []): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const [id] = await submit(live, endpointId, fn, [args]);
  return (await waitForTasks(live, [id]))[id];
}

function resultOf(task: Record<string, any>): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (task.status !== 'success') throw new Error(`task ${task.task_id} did not succeed: ${JSON.stringify(task)}`);
  return JSON.parse(task.result);
}

/** An endpoint whose workers run in podman containers of `image`; leftovers are removed at teardown whatever happens. */
async function containerEndpoint(t: Parameters<typeof startLiveService>[0], live: LiveService, image: string, config: Record<string, unknown> = {}): Promise<EndpointProcess> {
  const started: { endpoint?: EndpointProcess } = {};
  removeContainersAtTeardown(t, WORKDIR_LABEL, () => started.endpoint?.paths.tasks); // registered first: runs after the endpoint is killed
  started.endpoint = await startEndpointProcess(t, live, {
    // A short grace: a stop kills running tasks soon, and the test checks their containers go too.
    config: { runtimes: ['python', 'shell'], max_workers: 2, grace_period: '1s', container: { type: 'podman', image, options: PODMAN_OPTIONS }, ...config },
  });
  return started.endpoint;
}

/** Stops the endpoint as an operator would and checks that it left no container, running or exited. */
async function stopAndCheckClean(t: Parameters<typeof startLiveService>[0], endpoint: EndpointProcess): Promise<void> {
  endpoint.signal('SIGTERM');
  await endpoint.exited;
  t.deepEqual(await containersLabelled(WORKDIR_LABEL, endpoint.paths.tasks), [], 'containers left after the endpoint stopped');
}

if (requireRealPart('Podman container suites', missing, { requiredBy: 'FUNCX_TEST_REQUIRE_PODMAN' })) {
  test('containers (podman): a Python and a shell task run inside the endpoint\'s image and read its marker file; the second Python call reuses the warm container; stopping leaves no container', async (t) => {
    const image = await testImage('default-image');
    t.false(existsSync('/etc/funcx-test-image'), 'the marker must exist only in the image');
    const live = await startLiveService(t, 'sqlite');
    const endpoint = await containerEndpoint(t, live, image);
    const python = await register(live, { runtime: 'python', source: PROBE, entry_point: 'probe' });
    const shell = await register(live, { runtime: 'shell', source: 'cat /etc/funcx-test-image; echo "{word}"' });

    const first = resultOf(await runOne(live, endpoint.endpointId, python));
    t.is(first.marker, 'default-image');
    const second = resultOf(await runOne(live, endpoint.endpointId, python));
    t.is(second.marker, 'default-image');
    t.is(second.host, first.host, 'the second call ran in the same (warm) container');

    const [shellId] = await submit(live, endpoint.endpointId, shell, [], { payloads: [JSON.stringify({ args: [], kwargs: { word: 'from-shell' } })] });
    const shellResult = resultOf((await waitForTasks(live, [shellId]))[shellId]);
    t.is(shellResult.returncode, 0, shellResult.stderr);
    t.is(shellResult.stdout, 'default-image\nfrom-shell\n');

    t.true((await containersLabelled(WORKDIR_LABEL, endpoint.paths.tasks)).length >= 1, 'the warm worker\'s container is listed by the endpoint\'s label');
    await stopAndCheckClean(t, endpoint);
  });

  test('containers (podman): a function registered with its own container_image runs in that image while another runs in the endpoint\'s default, each image with its own warm pool', async (t) => {
    const [defaultImage, ownImage] = await Promise.all([testImage('default-image'), testImage('own-image')]);
    const live = await startLiveService(t, 'sqlite');
    const endpoint = await containerEndpoint(t, live, defaultImage);
    const plain = await register(live, { runtime: 'python', source: PROBE, entry_point: 'probe' });
    const own = await register(live, { runtime: 'python', source: PROBE, entry_point: 'probe', container_image: ownImage });
    const record = await live.call('GET', `/v2/functions/${own}`);
    t.is(record.body.container_image, ownImage);

    const a = resultOf(await runOne(live, endpoint.endpointId, own));
    const b = resultOf(await runOne(live, endpoint.endpointId, plain));
    const c = resultOf(await runOne(live, endpoint.endpointId, own));
    const d = resultOf(await runOne(live, endpoint.endpointId, plain));
    t.is(a.marker, 'own-image');
    t.is(b.marker, 'default-image');
    t.not(a.host, b.host);
    t.is(c.host, a.host, 'the own image\'s worker stayed warm while the default image ran');
    t.is(d.host, b.host, 'the default image\'s worker stayed warm while the own image ran');
    await stopAndCheckClean(t, endpoint);
  });

  test('containers (podman): a worker whose container is killed mid-task is retried in a fresh container; a stop during a task removes its container too', async (t) => {
    const image = await testImage('default-image');
    const live = await startLiveService(t, 'sqlite');
    const endpoint = await containerEndpoint(t, live, image);
    // The first attempt records its container and blocks; the retry finds the record and returns.
    const fn = await register(live, { runtime: 'python', source: ONCE, entry_point: 'once' });
    mkdirSync(endpoint.paths.tasks, { recursive: true });
    const flag = path.join(endpoint.paths.tasks, 'first-attempt'); // the task folder is mounted into the containers
    const [id] = await submit(live, endpoint.endpointId, fn, [[flag]]);
    await waitFor(() => existsSync(flag), 'the first attempt to start in its container', 120_000);
    const firstHost = readFileSync(flag, 'utf8');
    const running = await containersLabelled(WORKDIR_LABEL, endpoint.paths.tasks);
    t.is(running.length, 1);
    const { execFileSync } = await import('node:child_process');
    execFileSync('podman', ['kill', running[0]]);

    const done = (await waitForTasks(live, [id]))[id];
    const result = resultOf(done);
    t.is(done.attempts, 2);
    t.is(result.first, firstHost);
    t.not(result.retry, firstHost, 'the retry ran in a fresh container');
    t.false((await containersLabelled(WORKDIR_LABEL, endpoint.paths.tasks)).includes(running[0]), 'the killed container is gone');

    // Stopped while a task runs: the agent kills the worker after the grace period; its container
    // (which would otherwise sleep on, held by podman's monitor) must be gone when the endpoint is.
    const blocking = path.join(endpoint.paths.tasks, 'blocking');
    await submit(live, endpoint.endpointId, fn, [[blocking]]);
    await waitFor(() => existsSync(blocking), 'the blocking task to start in its container', 120_000);
    await stopAndCheckClean(t, endpoint);
  });

  test('containers (podman): an agent killed (SIGKILL) while a task runs leaves no container: the busy worker ends at its requests\' EOF, not when its task would', async (t) => {
    const image = await testImage('default-image');
    const live = await startLiveService(t, 'sqlite');
    const endpoint = await containerEndpoint(t, live, image);
    const fn = await register(live, { runtime: 'python', source: ONCE, entry_point: 'once' });
    mkdirSync(endpoint.paths.tasks, { recursive: true });
    const flag = path.join(endpoint.paths.tasks, 'busy');
    await submit(live, endpoint.endpointId, fn, [[flag]]);
    await waitFor(() => existsSync(flag), 'the task to start in its container', 120_000);
    t.is((await containersLabelled(WORKDIR_LABEL, endpoint.paths.tasks)).length, 1);
    endpoint.signalGroup('SIGKILL');
    await endpoint.exited;
    // The task sleeps 600 s: a container still there after 60 s would be running it on.
    await waitFor(async () => (await containersLabelled(WORKDIR_LABEL, endpoint.paths.tasks)).length === 0, 'the busy container to end after its agent died', 60_000);
    t.pass();
  });

  test('containers (podman): an image the engine cannot find fails the task with WorkerStartFailed carrying the engine\'s error, and the endpoint carries on', async (t) => {
    const image = await testImage('default-image');
    const live = await startLiveService(t, 'sqlite');
    const endpoint = await containerEndpoint(t, live, image);
    const missing = await register(live, { runtime: 'python', source: PROBE, entry_point: 'probe', container_image: 'localhost/funcx-no-such-image:1' });
    const failed = await runOne(live, endpoint.endpointId, missing);
    t.is(failed.status, 'failed');
    t.is(failed.exception.type, 'WorkerStartFailed');
    t.regex(failed.exception.message, /the python worker process could not start \(code 125: .*funcx-no-such-image/);
    const fine = await register(live, { runtime: 'python', source: PROBE, entry_point: 'probe' });
    t.is(resultOf(await runOne(live, endpoint.endpointId, fine)).marker, 'default-image');
    await stopAndCheckClean(t, endpoint);
  });

  test('containers (podman): on local blocks the worker manager runs its workers in the endpoint\'s image too', async (t) => {
    const image = await testImage('default-image');
    const live = await startLiveService(t, 'sqlite');
    const endpoint = await containerEndpoint(t, live, image, {
      provider: { type: 'local', max_blocks: 1, nodes_per_block: 1, max_workers_per_node: 2, strategy_period: '200ms', manager_heartbeat_period: '300ms' },
    });
    const python = await register(live, { runtime: 'python', source: PROBE, entry_point: 'probe' });
    const first = resultOf(await runOne(live, endpoint.endpointId, python));
    const second = resultOf(await runOne(live, endpoint.endpointId, python));
    t.is(first.marker, 'default-image');
    t.is(second.host, first.host, 'warm in the block too');
    await stopAndCheckClean(t, endpoint);
  });
}

test('containers: a function naming an image fails with ContainerNotAvailable on an endpoint that runs no containers', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const endpoint = await startEndpointProcess(t, live, { config: { runtimes: ['python'] } });
  const fn = await register(live, { runtime: 'python', source: PROBE, entry_point: 'probe', container_image: 'localhost/anything:1' });
  const done = await runOne(live, endpoint.endpointId, fn);
  t.like(done, { status: 'failed', exception: { type: 'ContainerNotAvailable', message: 'the function runs in container image localhost/anything:1, but this endpoint runs no containers (its config has no container:)' } });
});

test('containers: an image name that could pass for an engine option is refused at registration', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const response = await live.call('POST', '/v3/functions', { body: { runtime: 'python', source: PROBE, entry_point: 'probe', container_image: '--privileged' } });
  t.is(response.status, 400);
  t.is(response.body.code, 'RequestMalformed');
});
