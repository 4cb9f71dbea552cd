/**
 * The endpoint's connections (@funcx-ts/shared/transport/connections.ts) with hpagent as the proxy
 * agent: the shared package has no dependencies, so the endpoint brings its own.
 */
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { Connections as SharedConnections, type ConnectionOptions } from '@funcx-ts/shared/transport/connections.js';

export type { ConnectionOptions, GotAgents } from '@funcx-ts/shared/transport/connections.js';

export class Connections extends SharedConnections {
  constructor(options: ConnectionOptions = {}) {
    super({ HttpProxyAgent, HttpsProxyAgent }, options);
  }
}
