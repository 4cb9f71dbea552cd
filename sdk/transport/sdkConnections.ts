/**
 * The SDK's Connections (connections.ts) from its options and environment, a
 * bad proxy or CA setting turned into the SDK's ConfigurationMissing (the
 * `funcx` CLI's usage exit code, 2).
 */
import { ConfigurationMissing } from '../errors.js';
import { Connections } from './connections.js';
import { TransportSettingInvalid, type Environment } from './proxyRules.js';

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
