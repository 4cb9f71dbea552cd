/**
 * How the agent reaches the service: directly or through the site's proxy,
 * trusting the site's CA (the SDK's sdk/transport/, which imports only node:
 * and hpagent). config.yaml's `proxy` overrides HTTPS_PROXY / HTTP_PROXY
 * (NO_PROXY still applies) and its `ca_file` replaces the system store (else
 * SSL_CERT_FILE; NODE_EXTRA_CA_CERTS adds one). A setting that cannot be used
 * is a config error naming it, raised before anything starts.
 */
import { Connections } from './connections.js';
import { TransportSettingInvalid } from '@funcx-ts/shared/transport/proxyRules.js';
import { EndpointConfigError, type EndpointSettings } from '../config.js';

export { Connections } from './connections.js';

export function serviceConnections(configFile: string, settings: Pick<EndpointSettings, 'proxy' | 'caFile'>, env: NodeJS.ProcessEnv = process.env): Connections {
  try {
    return new Connections({
      env,
      ...(settings.proxy ? { proxy: { value: settings.proxy, setting: 'proxy' } } : {}),
      ...(settings.caFile ? { caFile: { file: settings.caFile, setting: 'ca_file' } } : {}),
    });
  } catch (error) {
    if (error instanceof TransportSettingInvalid) throw new EndpointConfigError(configFile, [error.message]);
    throw error;
  }
}
