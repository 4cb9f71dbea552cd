/**
 * One rule for the real parts a suite needs (a MariaDB server, a scheduler, a broker, a browser,
 * haproxy, the upstream SDKs, root, ...): on a developer's partial machine a missing part turns
 * its tests into skipped ones, with a loud banner naming what is missing; where every part is
 * installed (.ci/run as root sets FUNCX_TEST_REQUIRE_ALL=1) the same tests are registered as
 * failures instead, so CI cannot pass by skipping. A part may also be required on its own by its
 * older switch (FUNCX_TEST_REQUIRE_MARIADB, _SLURM, _PODMAN), passed as `requiredBy`.
 *
 * A probe answers "why can this part not run here?" with a sentence, or undefined when it can.
 * Use `requireRealPart` when one missing part stands in for the whole suite (one test is
 * registered in its place), or `testWithRealPart` to keep each test's own title.
 */
import test, { type ExecutionContext } from 'ava';
import { partRequired, requiringSwitches as switchesNamed } from './requiredParts.js';

export { partRequired } from './requiredParts.js';

export type Register = (title: string, implementation: (t: ExecutionContext) => unknown) => void;

function banner(line: string): void {
  const bar = '!'.repeat(78);
  console.warn(`${bar}\n!! ${line}\n${bar}`);
}

/**
 * Registers one test in the suite's place when `missing` says a part is absent (skipped, or
 * failing when the part is required) and returns false; returns true when the suite can run.
 *
 *   if (requireRealPart('Grid Engine provider', gridEngineMissing())) { ...the suite's tests }
 */
export function requireRealPart(suite: string, missing: string | undefined, options: { requiredBy?: string; register?: { skip: Register } & Register } = {}): boolean {
  if (missing === undefined) return true;
  const register = options.register ?? test;
  if (partRequired(options.requiredBy)) {
    banner(`${suite} FAILS: ${missing} (required: ${switchesNamed(options.requiredBy)})`);
    register(`${suite} (required, missing: ${missing})`, (t: ExecutionContext) => t.fail(`${missing}; ${switchesNamed(options.requiredBy)} makes a missing part a failure, not a skip`));
  } else {
    banner(`${suite} SKIPPED: ${missing}`);
    register.skip(`${suite} (skipped: ${missing})`, () => {});
  }
  return false;
}

/**
 * The registrar for tests that need a real part: `register` itself when the part is there;
 * otherwise one that registers each test as skipped (loudly, once) or, when the part is
 * required, as a failure naming what is missing.
 *
 *   const mariadbTest = testWithRealPart('test/fleet/cross-replica-wakeups', MYSQL_BASE_URL ? undefined : 'no MariaDB');
 */
export function testWithRealPart(suite: string, missing: string | undefined, options: { requiredBy?: string; register?: { skip: Register } & Register } = {}): Register {
  const register = options.register ?? test;
  if (missing === undefined) return register;
  const required = partRequired(options.requiredBy);
  banner(`${suite} ${required ? 'FAILS' : 'SKIPPED'}: ${missing}${required ? ` (required: ${switchesNamed(options.requiredBy)})` : ''}`);
  if (!required) return (title) => register.skip(`${title} (skipped: ${missing})`, () => {});
  return (title) => register(title, (t: ExecutionContext) => t.fail(`${missing}; ${switchesNamed(options.requiredBy)} makes a missing part a failure, not a skip`));
}
