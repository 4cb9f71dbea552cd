/**
 * Identity mapping: from the submitter (the service's identity and claims) to
 * a local account name, by the administrator's rules in order: the exact
 * table, then expressions on claims, then the external command. The first
 * rule that gives a name wins; none: the identity is not mapped. What the
 * name is allowed to be (not root, not a system account) is accounts.ts's
 * check, made after whichever rule answered.
 */
import { spawn } from 'node:child_process';
import type { IdentityMappingSettings, MappingExpression } from './settings.js';
import { killGroup } from '../workers/processGroup.js';

export interface Submitter {
  identity: string;
  claims: Readonly<Record<string, string>>;
}

export type MappingResult =
  | { mapped: true; localUser: string; rule: string }
  | { mapped: false; reason: string };

/** A POSIX-portable account name (useradd's default rule, plus a trailing $ for machine accounts). */
const ACCOUNT_NAME = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i;
/** What the mapping command may print, at most. */
const MAX_COMMAND_OUTPUT = 64 * 1024;

export async function mapIdentity(submitter: Submitter, settings: IdentityMappingSettings): Promise<MappingResult> {
  const exact = settings.exact.get(submitter.identity);
  if (exact !== undefined) return named(exact, 'exact');
  const fields = claimFields(submitter);
  for (const [index, rule] of settings.expressions.entries()) {
    const name = applyExpression(rule, fields);
    if (name !== undefined) return named(name, `expressions[${index}]`);
  }
  if (settings.command) {
    const answer = await runMappingCommand(settings.command.argv, settings.command.timeoutMs, { ...fields, claims: submitter.claims });
    if ('error' in answer) return { mapped: false, reason: `the mapping command ${answer.error}` };
    if (answer.localUser !== null) return named(answer.localUser, 'command');
  }
  return { mapped: false, reason: `${submitter.identity} matches no identity mapping rule of this endpoint` };
}

function named(name: string, rule: string): MappingResult {
  if (!ACCOUNT_NAME.test(name)) return { mapped: false, reason: `identity mapping rule ${rule} gave "${name.slice(0, 64)}", which is no account name` };
  return { mapped: true, localUser: name, rule };
}

/** identity, username and email (falling back to the identity), and every claim by its name. */
export function claimFields(submitter: Submitter): Record<string, string> {
  return {
    ...submitter.claims,
    identity: submitter.identity,
    username: submitter.claims.preferred_username ?? submitter.claims.username ?? submitter.identity,
    ...(submitter.claims.email ?? (submitter.identity.includes('@') ? submitter.identity : undefined)
      ? { email: submitter.claims.email ?? submitter.identity }
      : {}),
  };
}

/** "{username}" with match "(.*)@example\.org" and output "{0}": alice@example.org -> alice. A claim the source names but the user lacks: no match. */
export function applyExpression(rule: MappingExpression, fields: Record<string, string>): string | undefined {
  let missing = false;
  const source = rule.source.replace(/\{([A-Za-z0-9_.:-]+)\}/g, (_text, name: string) => {
    const value = fields[name];
    if (value === undefined) missing = true;
    return value ?? '';
  });
  if (missing) return undefined;
  const match = rule.match.exec(source);
  if (!match) return undefined;
  const groups = match.slice(1);
  let bad = false;
  const output = rule.output.replace(/\{(\d+)\}/g, (_text, index: string) => {
    const value = groups[Number(index)];
    if (value === undefined) bad = true;
    return value ?? '';
  });
  return bad || output === '' ? undefined : output;
}

/**
 * The external mapping command: JSON on stdin, {"local_user": NAME or null} on stdout.
 * Run without a shell, in its own process group, killed (with anything it started)
 * when it outlives the timeout.
 */
export function runMappingCommand(argv: string[], timeoutMs: number, input: unknown): Promise<{ localUser: string | null } | { error: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (answer: { localUser: string | null } | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const timer = setTimeout(() => {
      killGroup(child.pid);
      finish({ error: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.length > MAX_COMMAND_OUTPUT) {
        killGroup(child.pid);
        finish({ error: `printed more than ${MAX_COMMAND_OUTPUT} bytes` });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    child.stdin.on('error', () => {}); // a command that does not read its input is fine
    child.stdin.end(JSON.stringify(input));
    child.on('error', (error) => finish({ error: `could not start: ${error.message}` }));
    child.on('close', (code, signal) => {
      if (code !== 0) return finish({ error: `failed (${signal ?? `exit code ${code}`}): ${stderr.trim().slice(0, 500)}` });
      try {
        const answer = JSON.parse(stdout) as { local_user?: unknown };
        if (answer.local_user === null || answer.local_user === undefined) return finish({ localUser: null });
        if (typeof answer.local_user !== 'string') return finish({ error: 'answered a local_user that is not a string' });
        finish({ localUser: answer.local_user });
      } catch {
        finish({ error: 'did not print JSON' });
      }
    });
  });
}
