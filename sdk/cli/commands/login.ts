/** `funcx login [--token TOKEN]`: check a token with the service and store it (see ../../login.ts for the auth-mode seam). */
import { resolveServiceUrl } from '../../config.js';
import { login } from '../../login.js';
import { optionString, type Command } from '../command.js';
import { EXIT_OK, print, printJson, readSecret } from '../io.js';

export const loginCommand: Command = {
  name: 'login',
  synopsis: '[--token TOKEN]',
  summary: 'store a token for the service (else read from stdin, or a prompt on a terminal)',
  options: { token: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run({ io, values, json }) {
    const serviceUrl = resolveServiceUrl({ serviceUrl: optionString(values, 'service-url'), env: io.env });
    const result = await login({ serviceUrl, token: optionString(values, 'token'), readSecret: (prompt) => readSecret(io, prompt) }, io.env);
    if (json) printJson(io, { service_url: result.serviceUrl, auth_mode: result.authMode, credentials_file: result.file });
    else print(io, `logged in to ${result.serviceUrl}; token stored in ${result.file}`);
    return EXIT_OK;
  },
};
