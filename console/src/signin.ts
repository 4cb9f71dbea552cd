/**
 * Sign-in at the OpenID provider, in the browser: the authorization code flow
 * with PKCE (S256, WebCrypto) as a public client whose redirect URI is this
 * page (<service>/console). The code verifier and `state` wait in
 * sessionStorage during the round trip; the tokens land there too (this tab
 * only, gone when it closes) and are sent as `Authorization: Bearer`. No
 * cookie carries the session, so a cross-site page cannot make the browser
 * call the API as the user: there is no CSRF to defend against
 * (docs/console.md).
 *
 * Sign-out forgets the tokens, revokes the access token at the provider (so it
 * stops working at the service once its introspection cache passes) and ends
 * the provider's session through end_session, which brings the browser back
 * here.
 */
import { token } from './api.js';

export interface OidcHints { issuer: string; audience: string; scopes: string[]; console_client_id?: string }
interface Discovery { issuer: string; authorization_endpoint: string; token_endpoint: string; revocation_endpoint?: string; end_session_endpoint?: string }
interface Pending { state: string; verifier: string; back: string }

const PENDING_KEY = 'funcx-console-login';
const ID_TOKEN_KEY = 'funcx-console-id-token';

/** Where the provider sends the browser back: this page, without query or hash. */
export const redirectUri = (): string => `${location.origin}/console`;

async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`the provider's discovery document answered ${response.status}`);
  const discovery = await response.json() as Discovery;
  if (discovery.issuer !== issuer) throw new Error(`the provider calls itself ${discovery.issuer}, not ${issuer}`);
  return discovery;
}

const base64url = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const randomText = (size: number): string => base64url(crypto.getRandomValues(new Uint8Array(size)));

/** Leaves for the provider's login page; the browser comes back to finishSignIn. */
export async function startSignIn(hints: OidcHints): Promise<void> {
  const discovery = await discover(hints.issuer);
  const pending: Pending = { state: randomText(16), verifier: randomText(32), back: location.hash };
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pending.verifier))));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: hints.console_client_id!,
    redirect_uri: redirectUri(),
    scope: ['openid', ...hints.scopes].join(' '),
    resource: hints.audience,
    state: pending.state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.href);
}

/**
 * On the way back from the provider (?code=… or ?error=… on this page): checks
 * `state` (and `iss` when sent, RFC 9207), trades the code and the verifier for
 * tokens, and tidies the address bar. Returns false when this is no such return.
 */
export async function finishSignIn(hints: OidcHints): Promise<boolean> {
  const query = new URLSearchParams(location.search);
  if (!query.has('code') && !query.has('error')) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as Pending | null;
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, '', `/console${pending?.back || '#/'}`);
  if (!pending || query.get('state') !== pending.state) throw new Error('this sign-in was not started here (state does not match); sign in again');
  if (query.has('error')) throw new Error(`the provider refused: ${query.get('error')}${query.get('error_description') ? ` (${query.get('error_description')})` : ''}`);
  if (query.has('iss') && query.get('iss') !== hints.issuer) throw new Error(`the answer came from ${query.get('iss')}, not ${hints.issuer}`);
  const discovery = await discover(hints.issuer);
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: query.get('code')!,
      redirect_uri: redirectUri(),
      client_id: hints.console_client_id!,
      code_verifier: pending.verifier,
      resource: hints.audience,
    }),
  });
  const tokens = await response.json().catch(() => ({})) as { access_token?: string; id_token?: string; error?: string; error_description?: string };
  if (!response.ok || !tokens.access_token) throw new Error(`the provider did not issue a token: ${tokens.error ?? response.status}${tokens.error_description ? ` (${tokens.error_description})` : ''}`);
  token.set(tokens.access_token);
  if (tokens.id_token) sessionStorage.setItem(ID_TOKEN_KEY, tokens.id_token);
  return true;
}

/** Forgets and revokes the tokens, then ends the provider's session (a navigation away, when it has end_session). */
export async function signOut(hints: OidcHints): Promise<void> {
  const accessToken = token.get();
  const idToken = sessionStorage.getItem(ID_TOKEN_KEY);
  token.clear();
  sessionStorage.removeItem(ID_TOKEN_KEY);
  const discovery = await discover(hints.issuer);
  if (accessToken && discovery.revocation_endpoint) {
    await fetch(discovery.revocation_endpoint, {
      method: 'POST',
      body: new URLSearchParams({ token: accessToken, token_type_hint: 'access_token', client_id: hints.console_client_id! }),
    }).catch(() => undefined); // best effort: the token is already forgotten here
  }
  if (!discovery.end_session_endpoint) return;
  const url = new URL(discovery.end_session_endpoint);
  url.search = new URLSearchParams({
    client_id: hints.console_client_id!,
    post_logout_redirect_uri: redirectUri(),
    ...(idToken ? { id_token_hint: idToken } : {}),
  }).toString();
  location.assign(url.href);
}
