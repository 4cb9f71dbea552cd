/** Checks across the HTTP server's options: TLS files come in pairs and must be readable; timeouts nest. */
import { accessSync, constants } from 'node:fs';

export function serverConfigProblems(values: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const cert = String(values.tlsCertFile ?? '');
  const key = String(values.tlsKeyFile ?? '');
  if (Boolean(cert) !== Boolean(key)) problems.push('FUNCX_TLS_CERT_FILE and FUNCX_TLS_KEY_FILE: give both (HTTPS) or neither (HTTP)');
  for (const [name, file] of [['FUNCX_TLS_CERT_FILE', cert], ['FUNCX_TLS_KEY_FILE', key]] as const) {
    if (!file) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch {
      problems.push(`${name}=${JSON.stringify(file)}: cannot be read`);
    }
  }
  if (typeof values.headersTimeout === 'number' && typeof values.requestTimeout === 'number' && values.headersTimeout > values.requestTimeout) {
    problems.push('FUNCX_HEADERS_TIMEOUT: must not be longer than FUNCX_REQUEST_TIMEOUT');
  }
  return problems;
}
