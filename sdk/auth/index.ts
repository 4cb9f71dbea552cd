/**
 * OpenID Connect login for funcX clients, standalone (the `funcx login`
 * command wires it in): discover the provider, then log in with a browser
 * (authorization code + PKCE), on a device without one (device authorization
 * grant), or headless (client credentials); refresh before expiry.
 */
export { connectProvider, knownProvider, type KnownProviderOptions, type Provider, type ProviderOptions } from './provider.js';
export { browserLogin, type BrowserLoginOptions } from './browserLogin.js';
export { deviceLogin, type DeviceLoginOptions, type DevicePrompt } from './deviceLogin.js';
export { clientCredentialsLogin } from './clientCredentials.js';
export { freshTokens, isExpiring, refreshTokens, type TokenRequest, type TokenSet } from './tokenSet.js';
export { LoginFailed } from './errors.js';
