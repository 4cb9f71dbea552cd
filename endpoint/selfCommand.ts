/**
 * How the endpoint starts one of its own programs: the CLI (a detached agent, a systemd unit,
 * the service's local endpoint), a JavaScript worker, a block's worker manager, the per-user
 * launcher of a multi-user endpoint. Installed from npm, a program is `node FLAGS SCRIPT`; in the
 * single-file endpoint (release/funcx-endpoint-linux-x64, a Node single executable application)
 * there are no scripts, and `process.execPath` is the file itself: a program is
 * `FILE __program NAME` (endpoint/singleFile/main.ts dispatches it). Every spawn site asks here,
 * so the two forms cannot drift apart.
 */
import { isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS } from './agentNodeFlags.js';

export type EndpointProgram = 'cli' | 'worker-manager' | 'js-worker' | 'user-launcher';

/** The hidden first argument of the single file that names an internal program. */
export const INTERNAL_PROGRAM_ARG = '__program';

/** Compiled next to this file (dist/endpoint/). */
const SCRIPTS: Readonly<Record<EndpointProgram, string>> = {
  cli: './cli/funcx-endpoint.js',
  'worker-manager': './blocks/workerManager.js',
  'js-worker': './workers/js-worker.js',
  'user-launcher': './multiUser/launcher.js',
};

/** The agent's heap flags (agentNodeFlags.ts) go to the programs that are, or become, an agent. */
const AGENT_PROGRAMS: ReadonlySet<EndpointProgram> = new Set(['cli', 'user-launcher']);

export interface SelfCommand {
  command: string;
  args: string[];
}

/** True in the single-file endpoint. */
export function isSingleFile(): boolean {
  return isSea();
}

/** The script file of a program in an npm install (also what a container mounts to run it with its own node). */
export function programScript(program: EndpointProgram): string {
  return fileURLToPath(new URL(SCRIPTS[program], import.meta.url));
}

/** The command line that starts `program`; the caller appends the program's own arguments. */
export function selfCommand(program: EndpointProgram): SelfCommand {
  if (isSingleFile()) {
    // The file is the CLI; the V8 flags are baked into it (sea-config execArgv, scripts/release.ts).
    return { command: process.execPath, args: program === 'cli' ? [] : [INTERNAL_PROGRAM_ARG, program] };
  }
  return { command: process.execPath, args: [...(AGENT_PROGRAMS.has(program) ? AGENT_NODE_FLAGS : []), programScript(program)] };
}

/** The single file's bundled programs, registered by its entry (endpoint/singleFile/main.ts). */
let bundledPrograms: Readonly<Record<EndpointProgram, () => Promise<unknown>>> | undefined;

export function registerBundledPrograms(programs: Readonly<Record<EndpointProgram, () => Promise<unknown>>>): void {
  bundledPrograms = programs;
}

/**
 * Runs `program` in this very process with `args` as its command line (the per-user launcher
 * becomes the CLI this way after dropping root). Programs read their arguments from
 * process.argv.slice(2), in both forms.
 */
export async function runProgramHere(program: EndpointProgram, args: string[]): Promise<void> {
  if (isSingleFile()) {
    if (!bundledPrograms) throw new Error('the single-file endpoint registered no programs');
    process.argv = [process.execPath, process.execPath, ...args];
    await bundledPrograms[program]();
    return;
  }
  process.argv = [process.execPath, programScript(program), ...args];
  await import(programScript(program));
}

/** selfCommand as one argv array (for job scripts, systemd units, spawn with a spread). */
export function selfCommandLine(program: EndpointProgram): string[] {
  const { command, args } = selfCommand(program);
  return [command, ...args];
}
