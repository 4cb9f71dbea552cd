/** `funcx-endpoint render-user-config NAME`: the per-user config.yaml a multi-user endpoint would render, offline. */
import { optionString, type RunnableCommand } from '@funcx-ts/shared/cli/commandTable.js';
import { endpointPaths } from '../../paths.js';
import { renderUserConfig } from '../renderUserConfig.js';

export const renderUserConfigCommand: RunnableCommand = {
  name: 'render-user-config',
  synopsis: 'NAME [--user-options JSON] [--user-runtime JSON] [--mapped-identity USER]',
  summary: "print the per-user config.yaml a multi-user endpoint would render for these values (or the submitter's error, with its line)",
  options: { 'user-options': { type: 'string' }, 'user-runtime': { type: 'string' }, 'mapped-identity': { type: 'string' } },
  positionals: { min: 1, max: 1 },
  run(values, [name]) {
    return renderUserConfig(endpointPaths(name), {
      userOptions: optionString(values, 'user-options'),
      userRuntime: optionString(values, 'user-runtime'),
      mappedIdentity: optionString(values, 'mapped-identity'),
    });
  },
};
