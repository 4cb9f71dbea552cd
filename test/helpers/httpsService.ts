/** A live service serving HTTPS itself with a certificate from a throwaway CA; its `call` trusts only that CA. */
import { readFileSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { got } from 'got';
import type { DestinationStream } from 'pino';
import { startLiveService, type ConfigOverrides, type LiveService } from './service.js';
import type { ThrowawayCa } from './throwawayCa.js';

export async function startHttpsService(t: ExecutionContext, ca: ThrowawayCa, altNames: string[], options: { logDestination?: DestinationStream; overrides?: ConfigOverrides } = {}): Promise<LiveService> {
  const { certFile, keyFile } = ca.issue('service', altNames);
  const live = await startLiveService(t, 'sqlite', { tlsCertFile: certFile, tlsKeyFile: keyFile, ...options.overrides }, { logDestination: options.logDestination });
  const client = got.extend({
    prefixUrl: live.url,
    https: { certificateAuthority: readFileSync(ca.certFile), rejectUnauthorized: true },
    throwHttpErrors: false,
    retry: { limit: 0 },
  });
  live.call = async (method, urlPath, options = {}) => {
    const token = options.token ?? live.adminToken;
    const response = await client(urlPath.replace(/^\//, ''), {
      method: method as 'GET',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
      body: options.body !== undefined ? JSON.stringify(options.body) : options.rawBody,
    });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, headers: new Headers(response.headers as Record<string, string>) };
  };
  return live;
}
