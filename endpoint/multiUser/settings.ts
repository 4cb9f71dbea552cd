/**
 * A multi-user endpoint's own settings: multi_user.yaml next to its
 * config.yaml (whose presence makes the endpoint multi-user), checked against
 * schemas/multi-user-config.json, with the user-settings template and schema
 * it names loaded and checked too. Any problem stops the start, named by key.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigInvalid, ConfigValidator } from '../configValidator.js';
import { parseDuration } from '@funcx-ts/shared/time.js';
import { EndpointConfigError } from '../config.js';
import { UserConfigTemplate } from './userConfig.js';
import { JinjaUserConfigTemplate } from './jinjaUserConfig.js';
import type { EndpointPaths } from '../paths.js';
import type { MultiUserConfig } from '@funcx-ts/shared/wire/multi-user-config.js';

export interface MappingExpression {
  source: string;
  match: RegExp;
  output: string;
}

export interface IdentityMappingSettings {
  exact: ReadonlyMap<string, string>;
  expressions: readonly MappingExpression[];
  command?: { argv: string[]; timeoutMs: number };
}

export interface ResourceLimits {
  nofile?: number;
  nproc?: number;
  as?: number;
  cpu?: number;
  fsize?: number;
}

export interface MultiUserSettings {
  allowAnyUser: boolean;
  mapping: IdentityMappingSettings;
  uidFloor: number;
  idleShutdownMs: number;
  umask: number;
  limits: ResourceLimits;
  environment: Record<string, string>;
  /** A .j2 file renders as Jinja (upstream's model); a plain .yaml by structural substitution (userConfig.ts). */
  template: UserConfigTemplate | JinjaUserConfigTemplate;
  /** The multi-user endpoint's own config.yaml, as the templates' _GC.parent_config. */
  parentConfig: Record<string, unknown>;
  maxUserEndpoints: number;
}

/** Upstream's order: the Jinja template when there is one, else the plain one. */
export function defaultTemplateFile(dir: string): string {
  const jinja = path.join(dir, 'user_config_template.yaml.j2');
  return existsSync(jinja) ? jinja : path.join(dir, 'user_config_template.yaml');
}

export function loadUserConfigTemplate(templateFile: string, schemaFile: string, python?: string): UserConfigTemplate | JinjaUserConfigTemplate {
  return templateFile.endsWith('.j2') ? JinjaUserConfigTemplate.load(templateFile, schemaFile, python) : UserConfigTemplate.load(templateFile, schemaFile);
}

export function multiUserFile(paths: EndpointPaths): string {
  return path.join(paths.dir, 'multi_user.yaml');
}

export function isMultiUser(paths: EndpointPaths): boolean {
  return existsSync(multiUserFile(paths));
}

export function loadMultiUserSettings(paths: EndpointPaths, validator = new ConfigValidator()): MultiUserSettings {
  const file = multiUserFile(paths);
  let config: MultiUserConfig;
  try {
    config = validator.check<MultiUserConfig>('multi-user-config.json', YAML.parse(readFileSync(file, 'utf8')) ?? {});
  } catch (error) {
    if (error instanceof ConfigInvalid) throw new EndpointConfigError(file, error.problems);
    throw new EndpointConfigError(file, [`not readable YAML: ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  const duration = (key: string, value: string | number): number => {
    const ms = parseDuration(value);
    if (ms === undefined) problems.push(`${key}: ${JSON.stringify(value)} is not a duration (e.g. 30s, 10m)`);
    return ms ?? 0;
  };
  const expressions: MappingExpression[] = [];
  for (const [index, rule] of (config.identity_mapping?.expressions ?? []).entries()) {
    try {
      // Anchored: the whole source must match, so "alice@example.org.evil" is no alice.
      expressions.push({ source: rule.source, match: new RegExp(`^(?:${rule.match})$`, 'u'), output: rule.output });
    } catch (error) {
      problems.push(`identity_mapping.expressions[${index}].match: ${(error as Error).message}`);
    }
  }
  const command = config.identity_mapping?.command;
  const relative = (name: string) => path.resolve(paths.dir, name);
  let template: UserConfigTemplate | JinjaUserConfigTemplate | undefined;
  try {
    const templateFile = config.user_config_template ? relative(config.user_config_template) : defaultTemplateFile(paths.dir);
    template = loadUserConfigTemplate(templateFile, relative(config.user_config_schema ?? 'user_config_schema.json'), config.template_python);
  } catch (error) {
    problems.push((error as Error).message);
  }
  let parentConfig: Record<string, unknown> = {};
  try {
    parentConfig = (YAML.parse(readFileSync(paths.config, 'utf8')) as Record<string, unknown> | null) ?? {};
  } catch {
    // config.yaml's own loader reports its problems; the template sees an empty parent_config
  }
  const settings: MultiUserSettings = {
    allowAnyUser: config.allow_any_user ?? false,
    mapping: {
      exact: new Map(Object.entries(config.identity_mapping?.exact ?? {})),
      expressions,
      ...(command ? { command: { argv: command.argv, timeoutMs: duration('identity_mapping.command.timeout', command.timeout ?? '5s') } } : {}),
    },
    uidFloor: config.uid_floor ?? 1000,
    idleShutdownMs: duration('idle_shutdown_after', config.idle_shutdown_after ?? '10m'),
    umask: parseInt(config.umask ?? '077', 8),
    limits: config.limits ?? {},
    environment: config.environment ?? {},
    template: template!,
    parentConfig,
    maxUserEndpoints: config.max_user_endpoints ?? 64,
  };
  if (settings.mapping.command && settings.mapping.command.timeoutMs <= 0) problems.push('identity_mapping.command.timeout: must be more than 0');
  if (problems.length > 0) throw new EndpointConfigError(file, problems);
  return settings;
}
