/**
 * Login on a machine without a browser (an HPC login node over ssh): the
 * device authorization grant (RFC 8628). The user opens the URL on any device
 * and enters the code; meanwhile this polls the token endpoint at the
 * provider's pace until approved, denied or expired.
 */
import * as oidc from 'openid-client';
import { LoginFailed } from './errors.js';
import type { Provider } from './provider.js';
import { describe, parameters, toTokenSet, type TokenRequest, type TokenSet } from './tokenSet.js';

export interface DevicePrompt {
  verification_uri: string;
  /** The URL with the code filled in, when the provider offers one. */
  verification_uri_complete?: string;
  user_code: string;
  /** Seconds the code stays valid. */
  expires_in: number;
}

export interface DeviceLoginOptions extends TokenRequest {
  /** Shows the user where to go and which code to enter. */
  prompt(info: DevicePrompt): void | Promise<void>;
  signal?: AbortSignal;
}

export async function deviceLogin(provider: Provider, options: DeviceLoginOptions): Promise<TokenSet> {
  let started: oidc.DeviceAuthorizationResponse;
  try {
    started = await oidc.initiateDeviceAuthorization(provider, parameters(options));
  } catch (error) {
    throw new LoginFailed(`the provider refused to start a device login (${describe(error)})`, { cause: error });
  }
  await options.prompt({
    verification_uri: started.verification_uri,
    ...(started.verification_uri_complete ? { verification_uri_complete: started.verification_uri_complete } : {}),
    user_code: started.user_code,
    expires_in: started.expires_in,
  });
  try {
    const response = await oidc.pollDeviceAuthorizationGrant(provider, started, options.resource ? { resource: options.resource } : undefined, { signal: options.signal });
    return toTokenSet(response);
  } catch (error) {
    if (options.signal?.aborted) throw new LoginFailed('the device login was cancelled', { cause: error });
    throw new LoginFailed(`the device login did not complete (${describe(error)})`, { cause: error });
  }
}
