/**
 * A real OpenID provider (node-oidc-provider) for a test, on 127.0.0.1 port 0,
 * stopped when the test ends. Users are confidential clients that get tokens
 * with the client credentials grant (no browser needed); `sub` is the client
 * id. Two resources share the service's audience: one issues opaque tokens
 * (introspected), one JWTs (verified locally). Group membership is a live
 * directory the test can change: introspection answers it as it is now, JWTs
 * carry it as it was when issued.
 */
import http from 'node:http';
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { ExecutionContext } from 'ava';
import Provider from 'oidc-provider';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type JWTPayload } from 'jose';

export const AUDIENCE = 'https://funcx.test';
export const SCOPE = 'funcx:all';
const OPAQUE_RESOURCE = `${AUDIENCE}/opaque`;
const JWT_RESOURCE = `${AUDIENCE}/jwt`;
const OTHER_AUDIENCE = 'https://other.test';
/** Opaque tokens that live five seconds (long enough for a first use on a busy machine), for the "never cached past exp" case. */
const SHORT_RESOURCE = `${AUDIENCE}/short`;
export const SERVICE_CLIENT = { id: 'funcx-service', secret: randomBytes(24).toString('base64url') };
/** A public native client, as the funcx CLI would be registered: PKCE with a loopback redirect, device grant, refresh. */
export const CLI_CLIENT_ID = 'funcx-cli';
/** A public web client, as the console would be registered: PKCE, redirect and post-logout URI <service>/console, CORS from the service's origin. */
export const CONSOLE_CLIENT_ID = 'funcx-console';
export { OPAQUE_RESOURCE };

export type TokenFormat = 'opaque' | 'jwt';

export interface TestProvider {
  issuer: string;
  /** Group membership by user (= client id = sub), read at every introspection. */
  groups: Map<string, string[]>;
  /** Requests the provider answered, by path ('/token/introspection', '/jwks', ...). */
  requests: Map<string, number>;
  /** Each request's path and the address it came from (a proxy's, when the caller used one). */
  callers: { path: string; remote: string | undefined }[];
  /** The service's oidc config, pointing at this provider. */
  serviceConfig(extra?: Record<string, unknown>): Record<string, unknown>;
  /** A real access token for `user` from the provider's token endpoint. */
  token(user: string, options?: { format?: TokenFormat; scope?: string; otherAudience?: boolean; shortLived?: boolean }): Promise<string>;
  /** Revokes a token at the provider (as its owning client). */
  revoke(user: string, token: string): Promise<void>;
  /** Signs any payload with the provider's own key (claims the provider would never issue). */
  forge(payload: JWTPayload, options?: { kid?: string; key?: Parameters<SignJWT['sign']>[0]; alg?: string }): Promise<string>;
  /** The provider's public key as PEM, for key-confusion attempts. */
  publicKeyPem: string;
  /** A user-client's secret (for headless logins through sdk/auth). */
  clientSecret(user: string): string;
  /** Who logs in when a browser (or device) login reaches the provider's login page. */
  login: { user: string };
  /** Lifetime in seconds of access tokens issued from now on (default 3600; the short resource's stay 5 s): lets a test make a login's token expire. */
  accessTokenTtl: { seconds: number };
  /**
   * Registers the console client for a service at `serviceUrl` (redirect URIs
   * need its port, known only once it listens). The provider is built on its
   * first request, so call this before anything asks it a thing.
   */
  allowConsole(serviceUrl: string): void;
  /** Stops answering: connections are refused from now on. */
  stop(): Promise<void>;
}

export async function startTestProvider(t: ExecutionContext, users: string[] = ['alice', 'bob', 'carol']): Promise<TestProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let stopped = false;
  const stop = () => {
    if (stopped) return Promise.resolve();
    stopped = true;
    return new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };
  t.teardown(stop);

  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = 'test-key-1';
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const secrets = new Map(users.map((user) => [user, randomBytes(24).toString('base64url')]));
  const groups = new Map<string, string[]>(users.map((user) => [user, []]));
  const requests = new Map<string, number>();
  const callers: TestProvider['callers'] = [];
  const accessTokenTtl = { seconds: 3600 };

  const consoleUrls: string[] = [];
  const consoleClients = () => consoleUrls.map((url) => ({
    client_id: CONSOLE_CLIENT_ID,
    application_type: 'web' as const,
    token_endpoint_auth_method: 'none' as const,
    grant_types: ['authorization_code'],
    response_types: ['code' as const],
    redirect_uris: [`${url}/console`],
    post_logout_redirect_uris: [`${url}/console`],
    scope: `openid ${SCOPE}`,
  }));
  const makeProvider = () => new Provider(issuer, {
    jwks: { keys: [privateJwk] },
    scopes: ['openid', 'offline_access', SCOPE, 'other'],
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: {
      ClientCredentials: (_ctx, token) => (token as { resourceServer?: { accessTokenTTL?: number } }).resourceServer?.accessTokenTTL ?? 3600,
      AccessToken: (_ctx, token) => (token as { resourceServer?: { accessTokenTTL?: number } }).resourceServer?.accessTokenTTL ?? 3600,
      Interaction: 600, DeviceCode: 600, Session: 3600, Grant: 3600, RefreshToken: 86400, IdToken: 3600,
    },
    clients: [
      { client_id: SERVICE_CLIENT.id, client_secret: SERVICE_CLIENT.secret, grant_types: [], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post' },
      {
        client_id: CLI_CLIENT_ID,
        application_type: 'native' as const,
        token_endpoint_auth_method: 'none' as const,
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
        scope: `openid offline_access ${SCOPE}`,
      },
      ...consoleClients(),
      ...users.map((user) => ({
        client_id: user,
        client_secret: secrets.get(user)!,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_post' as const,
        scope: `${SCOPE} other`,
      })),
    ],
    features: {
      devInteractions: { enabled: false },
      deviceFlow: { enabled: true },
      clientCredentials: { enabled: true },
      // Only the service's own client may introspect (it is the resource server).
      introspection: { enabled: true, allowedPolicy: (ctx) => ctx.oidc.client?.clientId === SERVICE_CLIENT.id },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => OPAQUE_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => ({
          scope: `${SCOPE} other`,
          audience: resource === OTHER_AUDIENCE ? OTHER_AUDIENCE : AUDIENCE,
          accessTokenTTL: resource === SHORT_RESOURCE ? 5 : accessTokenTtl.seconds,
          accessTokenFormat: resource === JWT_RESOURCE ? 'jwt' : 'opaque',
          ...(resource === JWT_RESOURCE ? { jwt: { sign: { alg: 'RS256' } } } : {}),
        }),
      },
    },
    // Like a provider's "web origins" for a browser client: CORS only for the console, from its own page.
    clientBasedCORS: (_ctx, origin, client) => client.clientId === CONSOLE_CLIENT_ID && consoleUrls.some((url) => new URL(url).origin === origin),
    // Groups for every token; sub for client-credentials tokens (they have no account: the client is the user).
    extraTokenClaims: (_ctx, token) => {
      const { accountId, clientId = '' } = token as { accountId?: string; clientId?: string };
      return accountId ? { groups: groups.get(accountId) ?? [] } : { sub: clientId, groups: groups.get(clientId) ?? [] };
    },
  });
  let built: Provider | undefined;
  const providerOnce = (): Provider => {
    if (built) return built;
    built = makeProvider();
    built.use(async (ctx, next) => {
      requests.set(ctx.path, (requests.get(ctx.path) ?? 0) + 1);
      callers.push({ path: ctx.path, remote: ctx.req.socket.remoteAddress });
      await next();
      // Like a directory-backed provider: introspection tells today's membership.
      const body = ctx.body as { active?: boolean; sub?: string } | undefined;
      if (ctx.path === '/token/introspection' && body?.active && body.sub) {
        ctx.body = { ...body, groups: groups.get(body.sub) ?? [] };
      }
    });
    return built;
  };
  const login = { user: 'dave' };
  let providerCallback: ReturnType<Provider['callback']> | undefined;
  server.on('request', (req, res) => {
    const provider = providerOnce();
    providerCallback ??= provider.callback();
    if (req.url?.startsWith('/interaction/')) {
      finishInteraction(provider, req, res, login.user).catch((error: Error) => res.writeHead(500).end(error.message));
    } else {
      providerCallback(req, res);
    }
  });

  const form = async (path: string, fields: Record<string, string>) => {
    const response = await fetch(issuer + path, { method: 'POST', body: new URLSearchParams(fields) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) as Record<string, unknown> : {};
  };

  return {
    issuer,
    groups,
    requests,
    callers,
    publicKeyPem: await exportSPKI(publicKey),
    login,
    accessTokenTtl,
    clientSecret: (user) => secrets.get(user)!,
    serviceConfig: (extra = {}) => ({
      authMode: 'oidc',
      oidcIssuer: issuer,
      oidcClientId: SERVICE_CLIENT.id,
      oidcClientSecret: SERVICE_CLIENT.secret,
      oidcAudience: AUDIENCE,
      oidcRequiredScopes: SCOPE,
      oidcAllowHttp: true,
      oidcTimeout: '10s', // the default: a provider call on a loaded CI machine can take seconds (a refused connection still fails at once)
      ...extra,
    }),
    async token(user, options = {}) {
      const resource = options.otherAudience ? OTHER_AUDIENCE : options.format === 'jwt' ? JWT_RESOURCE : options.shortLived ? SHORT_RESOURCE : OPAQUE_RESOURCE;
      const answer = await form('/token', {
        grant_type: 'client_credentials',
        client_id: user,
        client_secret: secrets.get(user)!,
        resource,
        scope: options.scope ?? SCOPE,
      });
      return answer.access_token as string;
    },
    async revoke(user, token) {
      await form('/token/revocation', { token, client_id: user, client_secret: secrets.get(user)! });
    },
    async forge(payload, options = {}) {
      const alg = options.alg ?? 'RS256';
      return new SignJWT(payload)
        .setProtectedHeader({ alg, typ: 'at+jwt', kid: options.kid ?? kid })
        .sign(options.key ?? privateKey);
    },
    allowConsole(serviceUrl) {
      if (built) throw new Error('allowConsole: the provider has answered already; register the console before the first request');
      consoleUrls.push(serviceUrl);
    },
    stop,
  };
}

/**
 * The provider's login and consent pages, answered at once as the given user
 * who approves what the client asked for: a stand-in for the person at the
 * browser, through the provider's own interaction API.
 */
async function finishInteraction(provider: Provider, req: http.IncomingMessage, res: http.ServerResponse, user: string): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: user } }, { mergeWithLastSubmission: false });
    return;
  }
  const accountId = details.session!.accountId;
  const grant = details.grantId
    ? (await provider.Grant.find(details.grantId))!
    : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

/**
 * A headless user agent: follows redirects with a cookie jar and submits the
 * provider's forms (device code confirmation) until it lands outside the
 * provider (the app's loopback redirect, which it delivers) or on a page with
 * no form (the device flow's "done" page). Returns the last response's text.
 */
export async function browse(startUrl: string, issuer: string): Promise<string> {
  const cookies = new Map<string, string>();
  let next: { url: string; method: 'GET' | 'POST'; body?: URLSearchParams } = { url: startUrl, method: 'GET' };
  for (let step = 0; step < 20; step++) {
    const inProvider = next.url.startsWith(issuer);
    const response = await fetch(next.url, {
      method: next.method,
      body: next.body,
      redirect: 'manual',
      headers: inProvider ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {},
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = response.headers.get('location');
    if (location) {
      next = { url: new URL(location, next.url).href, method: 'GET' };
      continue;
    }
    const text = await response.text();
    const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(text) ?? /<form[^>]*>([\s\S]*?)<\/form>/i.exec(text);
    if (!inProvider || !form || !/method="post"/i.test(text)) return text;
    const fields = new URLSearchParams();
    for (const input of form[form.length - 1].matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/gi)) fields.set(input[1], input[2]);
    next = { url: new URL(form.length === 3 ? form[1] : next.url, next.url).href, method: 'POST', body: fields };
  }
  throw new Error('the login did not finish within 20 steps');
}

/** A secret key made of the public key's bytes: the classic RS256 → HS256 confusion attempt. */
export function publicKeyAsHmacSecret(publicKeyPem: string): KeyObject {
  return createSecretKey(Buffer.from(publicKeyPem));
}
