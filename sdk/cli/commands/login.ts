/**
 * `funcx login`: log in to the service and store the token (see ../../login.ts
 * for the auth-mode seam). local mode: --token, stdin, or a prompt. oidc mode:
 * a browser login by default, --device for the device authorization grant,
 * --client-credentials for headless use, or --token for a token got elsewhere.
 */
import { resolveServiceUrl } from '../../config.js';
import { login } from '../../login.js';
import type { OidcLoginMethod } from '../../oidcLogin.js';
import { optionString, type Command, type Values } from '../command.js';
import { EXIT_OK, UsageError, print, printError, printJson, readSecret, type CliIo } from '../io.js';
import { canOpenBrowser, openBrowser } from '../openBrowser.js';

export const loginCommand: Command = {
  name: 'login',
  synopsis: '[--token TOKEN | --device | --client-credentials [--client-id ID --client-secret SECRET]] [--client-id ID] [--no-browser]',
  summary: 'log in and store the token (local: --token, stdin or a prompt; oidc: browser, --device, or --client-credentials)',
  options: {
    token: { type: 'string' },
    device: { type: 'boolean' },
    'client-credentials': { type: 'boolean' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'no-browser': { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  async run({ io, values, json }) {
    const serviceUrl = resolveServiceUrl({ serviceUrl: optionString(values, 'service-url'), env: io.env });
    const mayOpenBrowser = values['no-browser'] !== true && canOpenBrowser(io);
    const result = await login({
      serviceUrl,
      token: optionString(values, 'token'),
      readSecret: (prompt) => readSecret(io, prompt),
      oidc: {
        method: methodOf(values),
        clientId: optionString(values, 'client-id'),
        clientSecret: optionString(values, 'client-secret'),
        // The instructions go to stderr: stdout stays for the result (and --json).
        showUrl(url) {
          printError(io, `To log in to ${serviceUrl}, open this URL in a browser on this machine:\n\n  ${url}\n\nWaiting for the login to finish...`);
          if (mayOpenBrowser) openBrowser(url);
        },
        showDeviceCode(prompt) {
          printError(io, [
            `To log in to ${serviceUrl}, open ${prompt.verification_uri} on any device and enter the code ${prompt.user_code}`,
            ...(prompt.verification_uri_complete ? [`(or open ${prompt.verification_uri_complete})`] : []),
            `The code is good for ${Math.round(prompt.expires_in / 60)} minutes. Waiting for the approval...`,
          ].join('\n'));
        },
      },
    }, io.env);
    report(io, json, result);
    return EXIT_OK;
  },
};

function methodOf(values: Values): OidcLoginMethod | undefined {
  if (values.device === true && values['client-credentials'] === true) throw new UsageError('--device and --client-credentials are two ways of logging in: pick one');
  if (values['client-secret'] !== undefined && values['client-credentials'] !== true) throw new UsageError('--client-secret goes with --client-credentials');
  return values.device === true ? 'device' : values['client-credentials'] === true ? 'client_credentials' : undefined;
}

function report(io: CliIo, json: boolean, result: Awaited<ReturnType<typeof login>>): void {
  if (json) {
    printJson(io, { service_url: result.serviceUrl, auth_mode: result.authMode, credentials_file: result.file, ...(result.grant ? { grant: result.grant, renewable: result.renewable } : {}) });
    return;
  }
  const renewal = result.grant === undefined ? '' : result.renewable ? ' (renewed automatically when it expires)' : ' (not renewable: log in again when it expires)';
  print(io, `logged in to ${result.serviceUrl}; token stored in ${result.file}${renewal}`);
}
