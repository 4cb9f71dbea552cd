/**
 * The SDK's Connections (connections.ts) from its options and environment, a
 * bad proxy or CA setting turned into the SDK's ConfigurationMissing (the
 * `funcx` CLI's usage exit code, 2), and network failures explained: which
 * proxy was used, or which certificate problem refused the service.
 */
import { ConfigurationMissing } from '../errors.js';
import { Connections } from './connections.js';
import { TransportSettingInvalid, type Environment } from './proxyRules.js';
import { certificateProblem } from './trust.js';

export interface SdkConnectionOptions {
  env?: Environment;
  /** Overrides HTTPS_PROXY / HTTP_PROXY (NO_PROXY still applies). */
  proxy?: string;
  /** A PEM file of CAs for the service, instead of the system store (else FUNCX_CA_FILE, SSL_CERT_FILE; NODE_EXTRA_CA_CERTS adds). */
  caFile?: string;
}

export function sdkConnections(options: SdkConnectionOptions = {}): Connections {
  try {
    return new Connections({
      env: options.env ?? process.env,
      ...(options.proxy ? { proxy: { value: options.proxy, setting: 'proxy' } } : {}),
      ...(options.caFile ? { caFile: { file: options.caFile, setting: 'caFile' } } : {}),
    });
  } catch (error) {
    if (error instanceof TransportSettingInvalid) throw new ConfigurationMissing(error.message, { cause: error });
    throw error;
  }
}

/** What to add to a failed request's message: the certificate problem if it is one, else the route it took when a proxy was used. */
export function explainFailure(connections: Connections, url: string, code: string | undefined): string {
  const problem = certificateProblem(code, connections.trust);
  if (problem) return `: ${problem}`;
  const route = connections.describe(url);
  return route === 'direct' ? '' : ` (${route})`;
}
