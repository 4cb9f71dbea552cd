/**
 * V8 flags for the service's own process: its bin's shebang, `npm start`, the Dockerfile's
 * entrypoint and the systemd unit pass them (test/cli/service-node-flags.test.ts checks each).
 *
 * `--single-threaded-gc`: V8 runs its garbage collection on the main thread only, instead of
 * waking four helper threads for every scavenge and every concurrent marking. An idle service
 * collects little at a time, and on a 2-core machine the helpers' wake-ups cost as much as the
 * collection: holding 500 endpoints' polls (50 a second), the service's CPU per poll went from
 * 960 to 693 µs, its helper threads from 2.4 % to 0.8 % of a core, its main thread from 2.4 to
 * 2.7 % (docs/benchmarks.md, idle endpoints). Under load, the peers bench's throughput and round
 * trip did not move beyond the machine's spread (two alternated runs each): the other core is busy
 * with the agent, its workers and the client, so the helpers had no idle core to run on.
 *
 * `--no-memory-reducer`: V8's memory reducer runs extra full collections whenever a process
 * allocates slowly, to hand memory back. A service holding idle endpoints' polls allocates slowly
 * all the time, and every full collection walks the polls it holds: 1,000 idle endpoints cost the
 * service 3.9-4.1 % of a core with it and 2.6 % without, for 20-30 MiB more resident memory
 * (131-142 MiB against 162-164; two alternated runs each of `npm run bench -- idle`). At 10,000
 * idle endpoints it saves little CPU (22.0 % against 23.7 %) and costs 30 % more memory (1,060
 * against 815 MiB): a service short of memory rather than CPU can be started without it.
 * Under load V8 collects on its own schedule and the reducer does not act.
 *
 * Node does not accept V8 flags in NODE_OPTIONS, so every way of starting the service names them.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--single-threaded-gc', '--no-memory-reducer'];
