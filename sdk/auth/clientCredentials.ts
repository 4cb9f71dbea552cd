/** Headless use (CI, services): the client's own identity through the client credentials grant. */
import * as oidc from 'openid-client';
import { LoginFailed } from './errors.js';
import type { Provider } from './provider.js';
import { describe, parameters, toTokenSet, type TokenRequest, type TokenSet } from './tokenSet.js';

export async function clientCredentialsLogin(provider: Provider, request: TokenRequest = {}): Promise<TokenSet> {
  try {
    return toTokenSet(await oidc.clientCredentialsGrant(provider, parameters(request)));
  } catch (error) {
    throw new LoginFailed(`the client credentials grant failed (${describe(error)})`, { cause: error });
  }
}
