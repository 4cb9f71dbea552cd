#!/usr/bin/env node
/**
 * The worker manager: started by a block's job script on each node, it dials
 * the endpoint agent on the login node, proves itself with the endpoint's
 * secret, and runs the tasks it is handed on the node's worker pools
 * (python, javascript, shell; max_workers_per_node at once).
 *
 *   node workerManager.js BLOCK_CONFIG.json
 *
 * It exits, killing its workers, when the agent says shutdown, when the
 * connection closes or the agent stays silent past the timeout, and on
 * SIGTERM (scancel, walltime): a manager never outlives its agent for long.
 * Logs are JSON lines on stdout, which the job's output file collects.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { connect } from 'node:net';
import { createLogger } from '../logger.js';
import { asError } from '@funcx-ts/shared/errors.js';
import { sleep } from '@funcx-ts/shared/time.js';
import { createWorkerExecutor } from '../workers/index.js';
import { LineChannel, type AgentMessage, type ManagerConfig, type ManagerMessage } from './protocol.js';
import type { Serializer } from '../execution.js';
import { jobNodes } from '../mpi/nodes.js';

const CONNECT_ATTEMPTS = 5;

async function main(): Promise<number> {
  const configFile = process.argv[2];
  if (!configFile) {
    process.stderr.write('usage: workerManager.js BLOCK_CONFIG.json\n');
    return 2;
  }
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as ManagerConfig;
  const secret = readFileSync(config.secret_file, 'utf8').trim();
  const managerId = `${config.block_id}.${os.hostname()}.${process.pid}`;
  const log = createLogger(config.log_level, 'funcx-manager').child({ managerId, blockId: config.block_id });
  const executor = createWorkerExecutor({
    maxWorkers: config.slots,
    pythonInterpreter: config.python,
    allowedSerializers: config.serializers as Serializer[],
    shellOutputCap: config.shell_output_cap,
    keepShellSandboxes: config.keep_shell_sandboxes === true,
    workerIdleMs: config.worker_idle_ms,
    workDir: config.work_dir,
    logger: log,
    mpi: mpiNodes(config, log),
    container: config.container ?? null,
  });
  await executor.start();

  const socket = await dial(config, log);
  if (!socket) {
    await executor.stop();
    return 1;
  }
  const running = new Map<string, AbortController>();
  let finished: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finished = resolve));
  let heartbeat: NodeJS.Timeout | undefined;
  let silence: NodeJS.Timeout | undefined;
  let exitCode = 1;
  let timeoutMs = 60_000;

  const heard = () => {
    clearTimeout(silence);
    silence = setTimeout(() => {
      log.error({ timeoutMs }, 'the agent sent nothing within the timeout; exiting');
      channel.close();
      socket.destroy();
    }, timeoutMs);
  };

  const channel = new LineChannel<AgentMessage, ManagerMessage>(
    socket,
    (message) => {
      heard();
      switch (message.type) {
        case 'welcome':
          timeoutMs = message.timeout_ms;
          log.info({ slots: config.slots, heartbeatMs: message.heartbeat_ms }, 'connected to the agent');
          heartbeat = setInterval(() => channel.send({ type: 'heartbeat', running: running.size }), message.heartbeat_ms);
          heard();
          break;
        case 'refused':
          log.error({ reason: message.reason }, 'the agent refused this manager');
          channel.close();
          break;
        case 'task': {
          const task = message.task;
          const controller = new AbortController();
          running.set(task.taskId, controller);
          log.debug({ taskId: task.taskId, attempt: task.attempt, runtime: task.runtime }, 'task started');
          void executor.run(task, controller.signal).then((outcome) => {
            running.delete(task.taskId);
            log.debug({ taskId: task.taskId, status: outcome.status }, 'task finished');
            channel.send({ type: 'result', task_id: task.taskId, attempt: task.attempt, outcome });
          });
          break;
        }
        case 'cancel':
          running.get(message.task_id)?.abort();
          break;
        case 'shutdown':
          log.info({ reason: message.reason }, 'the agent asked this manager to stop');
          exitCode = 0;
          channel.close();
          break;
        case 'heartbeat':
          break;
      }
    },
    (why) => {
      log.error(`the agent sent ${why}; exiting`);
      socket.destroy();
    },
  );
  socket.on('close', () => finished(exitCode));
  socket.on('error', (error) => log.warn({ err: error.message }, 'connection to the agent failed'));
  const onSignal = (signal: NodeJS.Signals) => {
    log.warn({ signal, running: running.size }, 'signalled (scancel or walltime?); stopping workers');
    exitCode = 128 + (signal === 'SIGTERM' ? 15 : 2);
    socket.destroy();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  channel.send({ type: 'hello', secret, block_id: config.block_id, manager_id: managerId, hostname: os.hostname(), pid: process.pid, slots: config.slots });
  heard();
  const code = await done;
  clearInterval(heartbeat);
  clearTimeout(silence);
  await executor.stop();
  log.info({ code }, 'worker manager exiting');
  return code;
}

/** MPI tasks run on the nodes the scheduler gave this block's job (this manager is its only one). */
function mpiNodes(config: ManagerConfig, log: ReturnType<typeof createLogger>) {
  if (!config.mpi) return null;
  const nodes = jobNodes();
  if (config.nodes_per_block !== undefined && nodes.length !== config.nodes_per_block) {
    log.warn({ nodes, nodesPerBlock: config.nodes_per_block }, 'the job has a different number of nodes than nodes_per_block; MPI tasks use the job\'s');
  }
  log.info({ nodes, launcher: config.mpi.launcher }, 'MPI tasks run on these nodes');
  return { settings: config.mpi, nodes, described: `blocks of ${nodes.length} node${nodes.length === 1 ? '' : 's'}` };
}

async function dial(config: ManagerConfig, log: ReturnType<typeof createLogger>) {
  for (let attempt = 1; attempt <= CONNECT_ATTEMPTS; attempt++) {
    try {
      return await new Promise<import('node:net').Socket>((resolve, reject) => {
        const socket = connect({ host: config.address, port: config.port });
        socket.once('connect', () => {
          socket.off('error', reject);
          resolve(socket);
        });
        socket.once('error', reject);
      });
    } catch (error) {
      log.warn({ address: config.address, port: config.port, attempt, err: asError(error).message }, 'cannot reach the agent');
      if (attempt < CONNECT_ATTEMPTS) await sleep(1000 * attempt);
    }
  }
  log.error({ address: config.address, port: config.port }, 'giving up: the agent is unreachable');
  return undefined;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`worker manager failed: ${asError(error).stack}\n`);
    process.exit(1);
  },
);
