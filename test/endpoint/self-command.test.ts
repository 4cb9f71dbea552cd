/**
 * endpoint/selfCommand.ts in an npm install: every program the endpoint starts is `node [FLAGS]
 * SCRIPT` with a script that exists, and only the agent programs get the agent's V8 flags. (The
 * single file's form, FILE __program NAME, is run for real by test/release/single-file.e2e.)
 */
import { existsSync } from 'node:fs';
import test from 'ava';
import { AGENT_NODE_FLAGS } from '../../endpoint/agentNodeFlags.js';
import { isSingleFile, programScript, selfCommand, selfCommandLine, type EndpointProgram } from '../../endpoint/selfCommand.js';

const PROGRAMS: EndpointProgram[] = ['cli', 'worker-manager', 'js-worker', 'user-launcher'];

test('npm install: each program is node plus its compiled script, which exists; agents get the agent node flags, workers do not', (t) => {
  t.false(isSingleFile());
  for (const program of PROGRAMS) {
    const { command, args } = selfCommand(program);
    t.is(command, process.execPath, program);
    t.true(existsSync(programScript(program)), `${program}: ${programScript(program)}`);
    const agent = program === 'cli' || program === 'user-launcher';
    t.deepEqual(args, [...(agent ? AGENT_NODE_FLAGS : []), programScript(program)], program);
    t.deepEqual(selfCommandLine(program), [command, ...args]);
  }
  t.regex(programScript('cli'), /dist\/endpoint\/cli\/funcx-endpoint\.js$/);
  t.regex(programScript('worker-manager'), /dist\/endpoint\/blocks\/workerManager\.js$/);
});
