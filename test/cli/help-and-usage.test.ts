/**
 * The three command lines' manners, for every command their usage lists (so commands added
 * later are covered): `--help` prints that command's usage on stdout, exits 0 and does nothing
 * else (`funcx-service migrate --help` creates no database); an unknown option is a usage error
 * (exit 2, the usage on stderr, no stack trace); a group's first word with `--help`
 * (`funcx task --help`, `funcx-service token --help`) lists the group's commands.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';

const dist = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));
const PROGRAMS = {
  'funcx-service': dist('src/cli/funcx-service.js'),
  'funcx-endpoint': dist('endpoint/cli/funcx-endpoint.js'),
  funcx: dist('sdk/cli/funcx.js'),
};
type Program = keyof typeof PROGRAMS;

interface Ran { code: number; stdout: string; stderr: string }

/** Runs a program in an empty FUNCX_HOME whose database URL points inside it (so anything it does leaves a trace there). */
function runner(t: ExecutionContext): { home: string; run(program: Program, args: string[]): Promise<Ran> } {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-help-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const env = {
    PATH: process.env.PATH, HOME: home, FUNCX_HOME: home, FUNCX_DATABASE_URL: `sqlite://${home}/funcx.sqlite3`,
    FUNCX_SERVICE_URL: 'http://127.0.0.1:9', FUNCX_TOKEN: 'fxu_x', FUNCX_PORT: '0',
  };
  return {
    home,
    run: (program, args) => new Promise((resolve) => {
      execFile(process.execPath, [PROGRAMS[program], ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
      });
    }),
  };
}

/** The commands a program's usage lists: lines "  words   summary" (two spaces, then a name of one or two words). */
function listedCommands(usage: string): string[] {
  return usage.split('\n').map((line) => /^ {2}([a-z][\w-]*(?: [a-z][\w-]*)?) {2,}\S/.exec(line)?.[1]).filter((name): name is string => name !== undefined);
}

for (const program of Object.keys(PROGRAMS) as Program[]) {
  test(`${program}: --help on every command prints its usage, exits 0 and runs nothing; an unknown option exits 2 with usage, no stack`, async (t) => {
    const { home, run } = runner(t);
    const top = await run(program, ['--help']);
    t.is(top.code, 0);
    const commands = listedCommands(top.stdout);
    t.true(commands.length >= 5, top.stdout);
    for (const command of commands) {
      const words = command.split(' ');
      const help = await run(program, [...words, '--help']);
      t.is(help.code, 0, `${program} ${command} --help: ${help.stderr}`);
      t.true(help.stdout.startsWith(`usage: ${program} ${command}`), `${program} ${command} --help printed: ${help.stdout}`);
      t.is(help.stderr, '', `${program} ${command} --help wrote to stderr`);
      const wrong = await run(program, [...words, '--no-such-option']);
      t.is(wrong.code, 2, `${program} ${command} --no-such-option: ${wrong.stdout}${wrong.stderr}`);
      t.regex(wrong.stderr, new RegExp(`usage: ${program} ${command}`));
      t.notRegex(wrong.stderr, /\n\s+at /, 'no stack trace');
    }
    // Nothing ran: no database, no endpoint folder, no credentials.
    t.false(existsSync(path.join(home, 'funcx.sqlite3')), 'a --help created the database');
    t.deepEqual(readdirSync(home), []);
    const unknown = await run(program, ['--no-such-option']);
    t.is(unknown.code, 2);
    t.notRegex(unknown.stderr, /\n\s+at /);
    t.regex(unknown.stderr, new RegExp(`usage: ${program} COMMAND`));
  });
}

test('a group\'s first word with --help lists its commands (funcx task, funcx endpoint, funcx-service token); without a command it is a usage error', async (t) => {
  const { run } = runner(t);
  for (const [program, group] of [['funcx', 'task'], ['funcx', 'endpoint'], ['funcx', 'function'], ['funcx-service', 'token']] as const) {
    const help = await run(program, [group, '--help']);
    t.is(help.code, 0, `${program} ${group} --help: ${help.stderr}`);
    t.true(help.stdout.startsWith(`usage: ${program} ${group} COMMAND`), help.stdout);
    t.true(listedCommands(help.stdout).length >= 2);
    t.true(listedCommands(help.stdout).every((name) => name.startsWith(`${group} `)));
    const bare = await run(program, [group]);
    t.is(bare.code, 2);
    t.regex(bare.stderr, new RegExp(`usage: ${program} ${group} COMMAND`));
  }
});
