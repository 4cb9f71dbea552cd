/**
 * The quick start's local endpoint: `funcx-service serve --local-endpoint NAME`
 * runs `funcx-endpoint start NAME` as a child, configured (on first use) under
 * the service's FUNCX_HOME and registered with the admin token, then adds its
 * id to quickstart.json. The child gets its own process group so one Ctrl-C
 * reaches it once, through the service, which stops it before itself (it needs
 * the service to post its last results). The endpoint is another package: this
 * uses only its public entry ('funcx-endpoint', endpoint/index.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { configureEndpointIfMissing, endpointCommand, registeredEndpointId } from 'funcx-endpoint';
import type { Logger } from './logger.js';
import { writeQuickstart, type Quickstart } from './quickstart.js';
import { sleep } from './util/time.js';

export interface LocalEndpoint {
  child: ChildProcess;
  endpointId: string;
  /** Graceful stop; resolves when the child has exited. */
  stop(): Promise<void>;
  /** Immediate. */
  kill(): void;
}

export async function launchLocalEndpoint(input: { name: string; home: string; serviceUrl: string; quickstartFile: string; logger: Logger }): Promise<LocalEndpoint> {
  configureEndpointIfMissing(input.name, input.home, input.serviceUrl);
  const quickstart = JSON.parse(readFileSync(input.quickstartFile, 'utf8')) as Quickstart;
  const agent = endpointCommand();
  const child = spawn(agent.command, [...agent.args, 'start', input.name, '--service-url', input.serviceUrl, '--exit-with-parent'], {
    env: { ...process.env, FUNCX_HOME: input.home, FUNCX_TOKEN: quickstart.token },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  // Registered once endpoint.json names this service; bounded wait.
  let endpointId: string | undefined;
  for (let i = 0; i < 600 && !endpointId; i++) {
    if (child.exitCode !== null) throw new Error(`the local endpoint "${input.name}" exited during start (code ${child.exitCode})`);
    endpointId = registeredEndpointId(input.name, input.home, input.serviceUrl);
    if (!endpointId) await sleep(100);
  }
  if (!endpointId) {
    child.kill('SIGKILL');
    throw new Error(`the local endpoint "${input.name}" did not register within 60 s`);
  }
  writeQuickstart(input.quickstartFile, { ...quickstart, endpoint_id: endpointId });
  input.logger.info({ endpoint: input.name, endpointId, pid: child.pid }, 'local endpoint running');
  return {
    child,
    endpointId,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
