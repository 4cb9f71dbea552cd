/**
 * The Action Provider's options and the checks a single value's kind cannot
 * make. src/config.ts composes them into the service's one option table (read,
 * checked and frozen at start-up, documented in docs/configuration.md), so they
 * are set like any other FUNCX_ option.
 */
import { DAY, SECOND } from '../src/forParts.js';
import type { Option } from '../src/forParts.js';

/** How flows see this service as one of their steps. */
export const ACTION_PROVIDER_OPTIONS = {
  actionProviderBasePath: {
    env: 'FUNCX_ACTION_PROVIDER_BASE_PATH', file: 'action_provider_base_path', kind: { type: 'string' }, default: '/actions/',
    doc: 'URL path the Action Provider API is mounted at (its introspection is GET on it); a path like /actions/, not /.',
  },
  actionProviderTitle: {
    env: 'FUNCX_ACTION_PROVIDER_TITLE', file: 'action_provider_title', kind: { type: 'string' }, default: 'funcX',
    doc: 'The Action Provider\'s title in its introspection (1 to 128 characters).',
  },
  actionProviderScope: {
    env: 'FUNCX_ACTION_PROVIDER_SCOPE', file: 'action_provider_scope',
    kind: { type: 'string' }, default: 'urn:funcx-ts:scopes:action_all',
    doc: 'globus_auth_scope shown in introspection (a URI); local-mode tokens carry no scopes, so it is informational.',
  },
  actionProviderAdminContact: {
    env: 'FUNCX_ACTION_PROVIDER_ADMIN_CONTACT', file: 'action_provider_admin_contact', kind: { type: 'string' }, default: 'root@localhost',
    doc: 'admin_contact shown in introspection (typically an e-mail address).',
  },
  actionProviderMaximumDeadline: {
    env: 'FUNCX_ACTION_PROVIDER_MAXIMUM_DEADLINE', file: 'action_provider_maximum_deadline',
    kind: { type: 'duration', min: SECOND, max: 3650 * DAY }, default: 30 * DAY,
    doc: 'Latest deadline a run may ask for, from now; later ones are refused (maximum_deadline in introspection).',
  },
  actionProviderVisibleTo: {
    env: 'FUNCX_ACTION_PROVIDER_VISIBLE_TO', file: 'action_provider_visible_to', kind: { type: 'string' }, default: 'public',
    doc: 'Comma-separated principals who may read the introspection: public, all_authenticated_users, '
      + 'urn:globus:auth:identity:<identity>, urn:globus:groups:id:<group>.',
  },
  actionProviderRunnableBy: {
    env: 'FUNCX_ACTION_PROVIDER_RUNNABLE_BY', file: 'action_provider_runnable_by', kind: { type: 'string' }, default: 'all_authenticated_users',
    doc: 'Comma-separated principals who may run actions: all_authenticated_users or principal URNs as above.',
  },
  actionProviderAdministeredBy: {
    env: 'FUNCX_ACTION_PROVIDER_ADMINISTERED_BY', file: 'action_provider_administered_by', kind: { type: 'string' }, default: '',
    doc: 'Comma-separated principal URNs shown as administered_by in introspection.',
  },
} satisfies Record<string, Option>;

const PRINCIPAL_URN = /^urn:globus:(auth:identity|groups:id):\S{1,256}$/;

/** Principal lists, as the Action Provider reads them: comma-separated, blanks dropped. */
export function principalList(text: string): string[] {
  return [...new Set(text.split(',').map((p) => p.trim()).filter((p) => p !== ''))];
}

/** The Action Provider's options that a single value's kind cannot check; `values` are those read so far. */
export function actionProviderConfigProblems(values: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const base = values.actionProviderBasePath;
  if (typeof base === 'string' && !/^\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-]\/?$/.test(base)) {
    problems.push(`FUNCX_ACTION_PROVIDER_BASE_PATH=${JSON.stringify(base)}: expected a path below / such as /actions/`);
  }
  const title = values.actionProviderTitle;
  if (typeof title === 'string' && (title.length < 1 || title.length > 128)) problems.push('FUNCX_ACTION_PROVIDER_TITLE: expected 1 to 128 characters');
  const scope = values.actionProviderScope;
  if (typeof scope === 'string' && !/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(scope)) {
    problems.push(`FUNCX_ACTION_PROVIDER_SCOPE=${JSON.stringify(scope)}: expected a URI`);
  }
  const lists: [string, string, string[]][] = [
    ['actionProviderVisibleTo', 'FUNCX_ACTION_PROVIDER_VISIBLE_TO', ['public', 'all_authenticated_users']],
    ['actionProviderRunnableBy', 'FUNCX_ACTION_PROVIDER_RUNNABLE_BY', ['all_authenticated_users']],
    ['actionProviderAdministeredBy', 'FUNCX_ACTION_PROVIDER_ADMINISTERED_BY', []],
  ];
  for (const [name, env, specials] of lists) {
    if (typeof values[name] !== 'string') continue;
    for (const principal of principalList(values[name] as string)) {
      if (!specials.includes(principal) && !PRINCIPAL_URN.test(principal)) {
        const expected = [...specials, 'urn:globus:auth:identity:<id>', 'urn:globus:groups:id:<group>'];
        problems.push(`${env}: "${principal}" is not ${expected.join(' or ')}`);
      }
    }
  }
  return problems;
}
