/**
 * Whether a missing real part is a failure rather than a skip: FUNCX_TEST_REQUIRE_ALL=1 (.ci/run
 * as root) requires every part; a part's own older switch (FUNCX_TEST_REQUIRE_MARIADB, _SLURM,
 * _PODMAN) requires just it. Kept apart from realPart.ts (which registers ava tests) so that
 * scripts/run-tests.ts, outside ava, can ask too.
 */
export function partRequired(requiredBy?: string): boolean {
  return process.env.FUNCX_TEST_REQUIRE_ALL === '1' || (requiredBy !== undefined && process.env[requiredBy] === '1');
}

/** The switches that make this part required, for messages: "FUNCX_TEST_REQUIRE_ALL=1". */
export function requiringSwitches(requiredBy?: string): string {
  return ['FUNCX_TEST_REQUIRE_ALL', requiredBy].filter((name) => name && process.env[name] === '1').join(' and ') + '=1';
}
