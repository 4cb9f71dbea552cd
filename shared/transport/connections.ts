/**
 * How the SDK and the endpoint connect to a host: directly or through the
 * site's proxy (proxyRules.ts), trusting the CAs of trust.ts. One
 * `Connections` per client holds keep-alive agents, so a long-poll and the
 * calls after it reuse one tunnel through the proxy instead of a CONNECT per
 * request.
 *
 * Proxies go through hpagent (one small maintained package; got takes its
 * agents as they are). This package has no dependencies, so the SDK and the
 * endpoint each hand hpagent's two agent classes in (`ProxyAgentClasses`):
 * sdk/transport/connections.ts and endpoint/transport/connections.ts. openid-client calls `fetch`, not got, so it is handed
 * `fetch` below: the same agents behind node:https, answered as a WHATWG
 * Response. Node 20's built-in fetch could take a proxy only through undici's
 * ProxyAgent, which Node does not expose; the npm `undici` that does needs
 * Node 22 at its current major, and an older major would be one more package
 * for something node:https already does (docs/sdk.md, "Proxies").
 */
import http from 'node:http';
import https from 'node:https';
import { checkProxySettings, proxyFor, type ChosenProxy, redactedProxy, type Environment } from './proxyRules.js';
import { certificateProblem, trustedCas, type TrustedCas } from './trust.js';

/** What a proxy agent is built with: hpagent's constructor options, the part used here. */
export interface ProxyAgentOptions {
  proxy: URL;
  keepAlive: boolean;
  ca?: string[];
}

/** hpagent's HttpProxyAgent and HttpsProxyAgent (or any classes of the same shape). */
export interface ProxyAgentClasses {
  HttpProxyAgent: new (options: ProxyAgentOptions) => http.Agent;
  HttpsProxyAgent: new (options: ProxyAgentOptions) => https.Agent;
}

export interface ConnectionOptions {
  /** The environment to read (default process.env). */
  env?: Environment;
  /** A proxy URL that overrides HTTPS_PROXY/HTTP_PROXY (NO_PROXY still applies), with its setting's name. */
  proxy?: { value: string; setting: string };
  /** A PEM file of CAs that replaces the system store, with its setting's name. */
  caFile?: { file: string; setting: string };
}

/** The agents got takes: one per protocol. */
export interface GotAgents {
  http: http.Agent;
  https: https.Agent;
}

export class Connections {
  readonly trust: TrustedCas;
  private readonly env: Environment;
  private readonly explicitProxy?: { value: string; setting: string };
  private readonly byProxy = new Map<string, GotAgents>();
  private direct?: GotAgents;

  constructor(private readonly proxyAgents: ProxyAgentClasses, options: ConnectionOptions = {}) {
    this.env = options.env ?? process.env;
    this.explicitProxy = options.proxy;
    checkProxySettings(this.env, this.explicitProxy);
    this.trust = trustedCas(this.env, options.caFile);
  }

  /** The proxy a request to `url` goes through (undefined: direct). */
  proxyFor(url: string | URL): ChosenProxy | undefined {
    return proxyFor(new URL(url), this.env, this.explicitProxy);
  }

  /** Where requests to `url` go, for logs: `direct` or the proxy without its credentials. */
  describe(url: string | URL): string {
    const proxy = this.proxyFor(url);
    return proxy ? `through the proxy ${redactedProxy(proxy.url)} (${proxy.setting})` : 'direct';
  }

  /** got's `agent` option for requests to `url`. */
  agentsFor(url: string | URL): GotAgents {
    const proxy = this.proxyFor(url)?.url;
    const ca = this.trust.ca;
    if (!proxy) {
      this.direct ??= { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) }) };
      return this.direct;
    }
    const key = proxy.href;
    let agents = this.byProxy.get(key);
    if (!agents) {
      // keepAlive: the tunnel stays open between calls (and across long-polls); a dead one is replaced on the next request.
      agents = {
        http: new this.proxyAgents.HttpProxyAgent({ proxy, keepAlive: true }),
        https: new this.proxyAgents.HttpsProxyAgent({ proxy, keepAlive: true, ...(ca ? { ca } : {}) }),
      };
      this.byProxy.set(key, agents);
    }
    return agents;
  }

  /** got options for `url`: its agents, and the CAs (certificate checks always on). */
  gotOptions(url: string | URL): { agent: GotAgents; https: { rejectUnauthorized: true; certificateAuthority?: string[] } } {
    return { agent: this.agentsFor(url), https: { rejectUnauthorized: true, ...(this.trust.ca ? { certificateAuthority: this.trust.ca } : {}) } };
  }

  /** A `fetch` for openid-client that goes through the same proxy and trusts the same CAs. */
  readonly fetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => agentFetch(this, input, init);

  /** What to add to a failed request's message: the certificate problem if it is one, else the route taken when a proxy was used. */
  explainFailure(url: string | URL, code: string | undefined): string {
    const problem = certificateProblem(code, this.trust);
    if (problem) return `: ${problem}`;
    const route = this.describe(url);
    return route === 'direct' ? '' : ` (${route})`;
  }

  /** Closes kept-alive sockets (a CLI exits without waiting for them). */
  close(): void {
    this.direct?.http.destroy();
    this.direct?.https.destroy();
    for (const agents of this.byProxy.values()) {
      agents.http.destroy();
      agents.https.destroy();
    }
    this.byProxy.clear();
    this.direct = undefined;
  }
}

/** A request body as bytes: openid-client sends strings, forms and byte arrays, never streams. */
function bodyBytes(body: RequestInit['body']): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('this fetch sends string, form and byte bodies only');
}

/** The small part of fetch openid-client uses (method, headers, body, signal; redirects are not followed, as it asks). */
async function agentFetch(connections: Connections, input: string | URL | Request, init: RequestInit): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : input);
  const headers = new Headers(init.headers);
  const body = bodyBytes(init.body);
  if (init.body instanceof URLSearchParams && !headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
  const agents = connections.agentsFor(url);
  const secure = url.protocol === 'https:';
  const request = (secure ? https : http).request;
  return new Promise<Response>((resolve, reject) => {
    const outgoing = request(url, {
      method: init.method ?? 'GET',
      headers: Object.fromEntries(headers),
      agent: secure ? agents.https : agents.http,
      ...(secure && connections.trust.ca ? { ca: connections.trust.ca } : {}),
      signal: init.signal ?? undefined,
    }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, one);
        }
        const status = incoming.statusCode ?? 502;
        const nullBody = status === 204 || status === 304 || (status >= 100 && status < 200);
        const response = new Response(nullBody ? null : Buffer.concat(chunks), { status, statusText: incoming.statusMessage, headers: responseHeaders });
        Object.defineProperty(response, 'url', { value: url.href });
        resolve(response);
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
