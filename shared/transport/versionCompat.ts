/**
 * Reading the service's GET /v2/version as a client that may be a release
 * behind (or ahead): `min_sdk_version` and `min_endpoint_version` say the
 * oldest SDK and endpoint the service still serves. A client older than that
 * says so, naming both versions and asking for an upgrade. The answer is read
 * leniently: a field missing, renamed or of another shape in another release
 * means "no minimum known", never a schema error.
 *
 * Dependency-free (no imports) so the SDK and the endpoint can share it.
 */

export type Component = 'sdk' | 'endpoint';

/** A dotted version's numeric parts ("1.2.3-rc.1" -> [1, 2, 3]); undefined when it has none. */
function numericParts(version: string): number[] | undefined {
  const match = /^v?(\d+(?:\.\d+)*)/.exec(version.trim());
  return match ? match[1]!.split('.').map(Number) : undefined;
}

/** Negative, zero or positive as `a` is older than, the same as, or newer than `b` (numeric parts only); undefined if either is unreadable. */
export function compareVersions(a: string, b: string): number | undefined {
  const left = numericParts(a);
  const right = numericParts(b);
  if (!left || !right) return undefined;
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** The minimum the service asks of `component`, from a /v2/version body of any shape (undefined: none said). */
export function advertisedMinimum(body: unknown, component: Component): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const fields = body as Record<string, unknown>;
  const names = component === 'sdk' ? ['min_sdk_version'] : ['min_endpoint_version', 'min_ep_version'];
  const found = names.map((name) => fields[name]).find((value) => typeof value === 'string' && value.trim() !== '');
  return found as string | undefined;
}

/**
 * Why `own` (this client's version) is too old for the service, in a sentence naming both versions and
 * what to do; undefined when it is new enough or nothing can be told.
 */
export function versionProblem(body: unknown, component: Component, own: string, upgrade: string): string | undefined {
  const minimum = advertisedMinimum(body, component);
  if (!minimum) return undefined;
  const comparison = compareVersions(own, minimum);
  if (comparison === undefined || comparison >= 0) return undefined;
  const service = typeof (body as { version?: unknown }).version === 'string' ? ` ${(body as { version: string }).version}` : '';
  const what = component === 'sdk' ? 'this SDK' : 'this endpoint';
  return `${what} is version ${own}, but the service${service} serves ${component === 'sdk' ? 'SDKs' : 'endpoints'} from version ${minimum} on: upgrade (${upgrade})`;
}
