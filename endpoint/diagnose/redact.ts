/**
 * Secrets out of what `funcx-endpoint diagnose` collects: by key in structured data (config.yaml,
 * endpoint.json, the environment), and by shape in free text (log lines, worker_init lines,
 * container options): this project's tokens (fxu_, fxe_), bearer tokens, passwords in URLs, and
 * NAME=value / "name": "value" / name: value where the name says secret. Over-redacting is fine:
 * the bundle is for reading, not for running.
 */
export const REDACTED = '[REDACTED]';

/** Key names whose values are secrets (tokens, client secrets, passwords, keys, credentials). */
const SECRET_NAME = /token|secret|passw(or)?d|passwd|credential|api[_-]?key|private[_-]?key|auth/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** A URL with its password (and a token in its query) replaced; other text as it is. */
export function redactUrlText(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^/\s:@'"]+):([^@\s/'"]+)@/gi, `$1$2:${REDACTED}@`);
}

export function redactText(text: string): string {
  let out = redactUrlText(text);
  out = out.replace(/\bfx[ue]_[A-Za-z0-9_-]+/g, REDACTED);
  out = out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`);
  // "client_secret": "…", 'password': '…'
  out = out.replace(/(["']?)([\w.-]*)\1(\s*:\s*)(["'])((?:(?!\4)[^\\]|\\.)*)\4/g, (whole, q: string, name: string, colon: string, quote: string) =>
    isSecretName(name) ? `${q}${name}${q}${colon}${quote}${REDACTED}${quote}` : whole);
  // DB_PASSWORD=…, --token=…, token: … (YAML, unquoted)
  out = out.replace(/([\w.-]+)(\s*[=:]\s*)([^\s"',;]+)/g, (whole, name: string, sep: string, value: string) =>
    isSecretName(name) && value !== REDACTED && !value.startsWith(REDACTED) ? `${name}${sep}${REDACTED}` : whole);
  return out;
}

/** A parsed document (YAML, JSON) with secret-named keys' values replaced, and every string redacted as text. */
export function redactValue(value: unknown, key = ''): unknown {
  if (key && isSecretName(key) && value !== null && value !== undefined && value !== false) return REDACTED;
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, k)]));
  return value;
}
