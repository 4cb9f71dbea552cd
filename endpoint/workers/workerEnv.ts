/**
 * The environment worker processes (and so the user's code) see: the agent's,
 * minus funcX secrets. The endpoint owner's FUNCX_TOKEN must not be readable
 * by functions that other users submit.
 */
const SECRET = /^FUNCX_(.*_)?(TOKEN|SECRET|PASSWORD|CREDENTIALS?)$/i;

export function workerEnv(extra: Record<string, string> = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (!SECRET.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}
