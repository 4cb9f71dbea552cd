/** `funcx-endpoint configure NAME`: write the endpoint's config.yaml (or a multi-user endpoint's files) with documented defaults. */
import { existsSync } from 'node:fs';
import { optionString, UsageError, type RunnableCommand } from '@funcx-ts/shared/cli/commandTable.js';
import { endpointPaths } from '../../paths.js';
import { writeConfigTemplate } from '../../config.js';
import { writeMultiUserTemplates } from '../../multiUser/configure.js';

export const configureCommand: RunnableCommand = {
  name: 'configure',
  synopsis: 'NAME [--service-url URL] [--max-workers N] [--force] [--multi-user]',
  summary: 'write $FUNCX_HOME/NAME/config.yaml with documented defaults; --multi-user: an endpoint root runs for every user (docs/multi-user-endpoints.md)',
  options: { 'service-url': { type: 'string' }, 'max-workers': { type: 'string' }, force: { type: 'boolean' }, 'multi-user': { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(values, [name]) {
    const paths = endpointPaths(name);
    if (existsSync(paths.config) && !values.force) {
      console.error(`${paths.config} exists; edit it, or pass --force to overwrite it`);
      return 1;
    }
    const maxWorkers = optionString(values, 'max-workers');
    const workers = maxWorkers === undefined ? undefined : Number(maxWorkers);
    if (workers !== undefined && !(Number.isInteger(workers) && workers > 0)) throw new UsageError(`--max-workers: expected a whole number above 0, got "${maxWorkers}"`);
    const url = optionString(values, 'service-url') ?? process.env.FUNCX_SERVICE_URL ?? 'http://127.0.0.1:8080';
    if (values['multi-user']) {
      writeMultiUserTemplates(paths, url);
      console.log(`wrote ${paths.dir}/{config.yaml,multi_user.yaml,user_config_template.yaml.j2,user_config_schema.json}\nset up identity_mapping in multi_user.yaml, then as root: funcx-endpoint start ${paths.name}`);
      return 0;
    }
    writeConfigTemplate(paths, url, workers);
    console.log(`wrote ${paths.config}\nstart it with: funcx-endpoint start ${paths.name}`);
    return 0;
  },
};
