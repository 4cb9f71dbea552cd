/** The introspection document (GET {base}/), built once from the configuration. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/forParts.js';
import { principalList } from './config.js';
import type { Config } from '../src/forParts.js';
import { formatIsoDuration } from './duration.js';
import type { ActionProviderDescription } from '@funcx-ts/shared/wire/action-provider-introspection.js';

export const INPUT_SCHEMA_ID = 'action-provider-input.json';

export function describeProvider(config: Config): ActionProviderDescription {
  const inputSchema = JSON.parse(readFileSync(path.join(packageRoot(), 'schemas', INPUT_SCHEMA_ID), 'utf8')) as Record<string, unknown>;
  return {
    types: ['Action'],
    api_version: '1.0',
    title: config.actionProviderTitle,
    subtitle: 'Run registered functions on funcX endpoints',
    description:
      'Runs one or more registered functions on an endpoint and reports their results in order. ' +
      'Arguments are JSON; the action succeeds when every task succeeds and fails when any task fails or is cancelled.',
    keywords: ['funcx', 'globus-compute', 'function', 'faas', 'compute'],
    visible_to: principalList(config.actionProviderVisibleTo),
    runnable_by: principalList(config.actionProviderRunnableBy),
    administered_by: principalList(config.actionProviderAdministeredBy),
    admin_contact: config.actionProviderAdminContact,
    synchronous: false,
    log_supported: true,
    maximum_deadline: formatIsoDuration(config.actionProviderMaximumDeadline),
    globus_auth_scope: config.actionProviderScope,
    input_schema: inputSchema,
  };
}
