/**
 * A task's user_endpoint_config names the per-user endpoint it runs on: one
 * process per distinct set of values. The key is the SHA-256 of the values'
 * canonical JSON (object keys sorted at every depth), so {"a":1,"b":2} and
 * {"b":2,"a":1} are one endpoint. No settings is the empty object.
 *
 * The submitter's runtime (user_runtime), when the SDK sent one, is part of
 * the key too: a per-user endpoint's config may depend on it (the worker
 * Python following the submitter's), so different runtimes get different
 * processes and the same runtime reuses one. Without it, the key is the
 * settings' hash alone, as before.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function userConfigKey(config: Record<string, unknown> | undefined | null, runtime?: object | null): string {
  const keyed = runtime ? { user_endpoint_config: config ?? {}, user_runtime: runtime } : (config ?? {});
  return createHash('sha256').update(canonicalJson(keyed)).digest('hex');
}
