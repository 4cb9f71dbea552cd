/**
 * Which proxy a request goes through, by the conventions curl and Python's
 * urllib share: `https_proxy`/`HTTPS_PROXY` for https:// URLs,
 * `http_proxy`/`HTTP_PROXY` for http:// ones (the lower-case name wins when
 * both are set), and `no_proxy`/`NO_PROXY` listing hosts reached directly.
 * An explicit setting (an endpoint's `proxy:` in config.yaml, the SDK's
 * `proxy` option) overrides the environment; NO_PROXY still applies to it.
 *
 * Dependency-free (node: only) so the SDK and the endpoint can share it.
 */

/** A proxy or CA setting that cannot be used, named so the message says what to fix. */
export class TransportSettingInvalid extends Error {
  constructor(readonly setting: string, message: string) {
    super(`${setting}: ${message}`);
    this.name = 'TransportSettingInvalid';
  }
}

export type Environment = Record<string, string | undefined>;

/** `value` as a proxy URL (http:// or https://, a host, no path), or an error naming `setting`. */
/** `value` with any `user:password@` hidden, for messages. */
const withoutCredentials = (value: string) => value.replace(/\/\/[^/@]*@/, '//***@');

export function parseProxyUrl(value: string, setting: string): URL {
  // curl accepts a bare host:port and means http://host:port.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new TransportSettingInvalid(setting, `"${withoutCredentials(value)}" is not a proxy URL (expected http://host:port)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TransportSettingInvalid(setting, `"${withoutCredentials(value)}" is not a proxy URL: only http:// and https:// proxies are supported`);
  }
  if (!url.hostname) throw new TransportSettingInvalid(setting, `"${withoutCredentials(value)}" names no proxy host`);
  return url;
}

/** The first of the names set in `env`, with its name (the lower-case form first, as curl reads them). */
function firstSet(env: Environment, names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** Whether NO_PROXY (comma- or space-separated hosts, `.suffix`, `*`, optional `:port`) sends `target` direct. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: string | undefined;
    const portMatch = /^(.*?):(\d+)$/.exec(entry);
    if (portMatch && !entry.startsWith('[') && entry.split(':').length === 2) [, entry, entryPort] = portMatch;
    entry = entry.replace(/^\[|\]$/g, '').replace(/^\*?\./, '.');
    if (entryPort && entryPort !== port) continue;
    if (host === entry.replace(/^\./, '') || (entry.startsWith('.') ? host.endsWith(entry) : host.endsWith(`.${entry}`))) return true;
  }
  return false;
}

/** A proxy, and the setting it came from (for messages). */
export interface ChosenProxy {
  url: URL;
  setting: string;
}

/**
 * The proxy for `target`, or undefined for a direct connection. `explicit`
 * (with the name of its setting) wins over the environment.
 */
export function proxyFor(target: URL, env: Environment, explicit?: { value: string; setting: string }): ChosenProxy | undefined {
  const noProxy = firstSet(env, ['no_proxy', 'NO_PROXY'])?.value;
  const chosen = explicit ?? (() => {
    const found = firstSet(env, target.protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY']);
    return found && { value: found.value, setting: found.name };
  })();
  if (!chosen) return undefined;
  const url = parseProxyUrl(chosen.value, chosen.setting); // parsed even when bypassed: a typo is reported, not hidden
  return bypassesProxy(target, noProxy) ? undefined : { url, setting: chosen.setting };
}

/** Every proxy setting present (explicit and environment), parsed now, so a bad one fails at start with its name. */
export function checkProxySettings(env: Environment, explicit?: { value: string; setting: string }): void {
  if (explicit) parseProxyUrl(explicit.value, explicit.setting);
  for (const name of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']) {
    const value = env[name]?.trim();
    if (value) parseProxyUrl(value, name);
  }
}

/** A proxy URL without its credentials, for logs and messages. */
export function redactedProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}
