/**
 * Login with a browser on the user's own machine: the authorization code flow
 * with PKCE (S256) and a one-shot loopback redirect (RFC 8252): a server on
 * 127.0.0.1, on a port the system picks, receives the single redirect, then
 * closes. `state` ties the redirect to this login; the verifier never leaves
 * this process. Register the client as native with http://127.0.0.1/callback.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { LoginFailed } from './errors.js';
import type { Provider } from './provider.js';
import { describe, parameters, toTokenSet, type TokenRequest, type TokenSet } from './tokenSet.js';

export interface BrowserLoginOptions extends TokenRequest {
  /** Opens (or prints) the authorization URL for the user. */
  openBrowser(url: string): void | Promise<void>;
  /** Path of the loopback redirect URI (default /callback). */
  redirectPath?: string;
  /** Give up after this long without a redirect (default 5 minutes). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function browserLogin(provider: Provider, options: BrowserLoginOptions): Promise<TokenSet> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const redirectPath = options.redirectPath ?? '/callback';
  const redirect = await listenForRedirect(redirectPath, options.timeoutMs ?? 5 * 60_000, options.signal);
  try {
    const url = oidc.buildAuthorizationUrl(provider, {
      redirect_uri: redirect.uri,
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...parameters(options),
      // Providers grant offline_access (a refresh token) only with explicit consent (OIDC Core 11).
      ...(options.scope?.split(' ').includes('offline_access') ? { prompt: 'consent' } : {}),
    });
    await options.openBrowser(url.href);
    const callback = await redirect.received;
    try {
      const response = await oidc.authorizationCodeGrant(provider, callback, { pkceCodeVerifier: verifier, expectedState: state },
        options.resource ? { resource: options.resource } : undefined);
      return toTokenSet(response);
    } catch (error) {
      throw new LoginFailed(`the browser login did not complete (${describe(error)})`, { cause: error });
    }
  } finally {
    redirect.close();
  }
}

interface Redirect {
  uri: string;
  received: Promise<URL>;
  close(): void;
}

/** A loopback server for one redirect: resolves with the URL the browser was sent to. */
async function listenForRedirect(path: string, timeoutMs: number, signal?: AbortSignal): Promise<Redirect> {
  let resolve!: (url: URL) => void;
  let reject!: (error: Error) => void;
  const received = new Promise<URL>((res, rej) => ((resolve = res), (reject = rej)));
  received.catch(() => {}); // observed by the caller; avoid an unhandled rejection if never awaited
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    if (url.pathname !== path) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end(url.searchParams.has('error') ? 'Login failed; see the terminal.\n' : 'Logged in. You may close this window.\n');
    resolve(url);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const timer = setTimeout(() => reject(new LoginFailed(`no login arrived within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
  const onAbort = () => reject(new LoginFailed('the browser login was cancelled'));
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    received,
    close() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      server.close();
      server.closeAllConnections();
    },
  };
}
