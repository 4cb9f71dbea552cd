/**
 * A per-user endpoint's config from a Jinja template (user_config_template.yaml.j2),
 * as upstream Globus Compute (>= 2.x templates, 4.0's `_GC` namespace) renders it:
 *
 * 1. the user's values (user_endpoint_config) must not use a reserved name
 *    and must pass user_config_schema.json when there is one;
 * 2. every string the user sent (and every string of user_runtime) is
 *    JSON-encoded ("abc" becomes "\"abc\"", null becomes "null"), so a value
 *    lands in the YAML as one double-quoted scalar: it cannot add a key, end
 *    the document or be read as template syntax (Jinja never re-renders a
 *    value's text);
 * 3. the template renders with Jinja2's SandboxedEnvironment and
 *    StrictUndefined (jinjaRenderer.ts), with the reserved variables under
 *    `_GC` (and their pre-4.0 top-level names);
 * 4. the text must parse as one YAML mapping.
 *
 * The multi-user endpoint then adds what is never the user's and checks the
 * result against the endpoint config schema (userEndpointConfig.ts). Every refusal is a UserConfigInvalid
 * naming the template line or the field; none carries a stack trace, the
 * rendered text or the multi-user endpoint's own config.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import YAML from 'yaml';
import { checkJinjaTemplate, renderJinja, TemplateRenderError, TemplateRendererFailed } from '../templates/jinjaRenderer.js';
import { UserConfigInvalid } from './userConfig.js';

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((ajvFormats as unknown as { default: AddFormats | { default: AddFormats } }).default as { default?: AddFormats }).default
  ?? ((ajvFormats as unknown as { default: AddFormats }).default);

/** Names a user may not send: the template's reserved variables. */
export const RESERVED_TEMPLATE_VARIABLES = Object.freeze(['_GC', 'parent_config', 'user_runtime', 'mapped_identity']);

/** Who the submitter is on this host, and to the service. */
export interface MappedIdentity {
  local: { uname: string; uid: number; gid: number; groups: number[]; dir: string; shell: string; gecos?: string };
  globus: { id: string | null };
}

/** What the multi-user endpoint knows besides the user's values. */
export interface TemplateContext {
  parentConfig?: Record<string, unknown> | null;
  userRuntime?: Record<string, unknown> | null;
  mappedIdentity?: MappedIdentity | null;
}

/** The renderer could not run (no python3 or jinja2): the administrator's to fix, not the user's. */
export class TemplateUnavailable extends Error {}

export class JinjaUserConfigTemplate {
  private constructor(
    readonly templateFile: string,
    private readonly validate: ValidateFunction | undefined,
    private readonly python: string,
  ) {}

  /**
   * The schema is optional, as upstream: without one, any values render (still JSON-encoded).
   * The template must compile with this python3's jinja2 now, not at the first submit.
   */
  static load(templateFile: string, schemaFile: string | undefined, python = 'python3'): JinjaUserConfigTemplate {
    if (!existsSync(templateFile)) throw new Error(`user config template ${templateFile}: no such file`);
    try {
      checkJinjaTemplate(templateFile, python);
    } catch (error) {
      if (error instanceof TemplateRenderError || error instanceof TemplateRendererFailed) throw new Error(`user config template ${templateFile}: ${error.message}`);
      throw error;
    }
    let validate: ValidateFunction | undefined;
    if (schemaFile && existsSync(schemaFile)) {
      let schema: Record<string, unknown>;
      try {
        schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
      } catch (error) {
        throw new Error(`user config schema ${schemaFile}: ${(error as Error).message}`);
      }
      const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, validateSchema: false });
      addFormats(ajv);
      try {
        // Upstream schemas name draft 2020-12 or draft-07 in $schema; the keywords they use agree.
        const { $schema: _ignored, ...body } = schema;
        validate = ajv.compile(body);
      } catch (error) {
        throw new Error(`user config schema ${schemaFile}: ${(error as Error).message}`);
      }
    }
    return new JinjaUserConfigTemplate(path.resolve(templateFile), validate, python);
  }

  async render(values: Record<string, unknown>, context: TemplateContext = {}): Promise<Record<string, unknown>> {
    const reserved = RESERVED_TEMPLATE_VARIABLES.filter((name) => name in values);
    if (reserved.length > 0) throw new UserConfigInvalid(`user_endpoint_config: "${reserved[0]}" is a reserved name and cannot be sent`);
    if (this.validate && !this.validate(values)) {
      const problems = (this.validate.errors ?? []).slice(0, 5).map((e) => {
        if (e.keyword === 'additionalProperties') return `"${(e.params as { additionalProperty: string }).additionalProperty}" is not a setting users may choose`;
        return `${e.instancePath || 'user_endpoint_config'} ${e.message}`;
      });
      throw new UserConfigInvalid(`user_endpoint_config refused by the endpoint's schema: ${problems.join('; ')}`);
    }
    const reservedValues = {
      parent_config: context.parentConfig ?? {},
      user_runtime: jsonEncodeStrings(context.userRuntime ?? {}),
      mapped_identity: context.mappedIdentity ?? null,
    };
    const variables = { ...(jsonEncodeStrings(values) as Record<string, unknown>), ...reservedValues, _GC: reservedValues };
    const name = path.basename(this.templateFile);
    let text: string;
    try {
      text = await renderJinja({ templateFile: this.templateFile, variables, python: this.python });
    } catch (error) {
      if (error instanceof TemplateRenderError) throw new UserConfigInvalid(`${name} did not render: ${error.message}`);
      if (error instanceof TemplateRendererFailed) throw new TemplateUnavailable(`the endpoint cannot render its template: ${error.message}`);
      throw error;
    }
    return parseRendered(text, name);
  }
}

/** Upstream's sanitizing: strings JSON-encoded, null as the text null, numbers and booleans as they are. */
export function jsonEncodeStrings(value: unknown): unknown {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return value.map(jsonEncodeStrings);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, jsonEncodeStrings(item)]));
  return value;
}

/** The rendered text as a config mapping; errors name the rendered line, never quote it (it may hold the multi-user endpoint's values). */
export function parseRendered(text: string, name: string): Record<string, unknown> {
  const documents = YAML.parseAllDocuments(text);
  const list = Array.isArray(documents) ? documents : [documents];
  if (list.length > 1) throw new UserConfigInvalid(`${name} rendered more than one YAML document`);
  const problem = list[0]?.errors[0];
  if (problem) {
    const line = problem.linePos?.[0].line;
    throw new UserConfigInvalid(`${name} rendered invalid YAML${line ? ` at rendered line ${line}` : ''}: ${problem.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const config: unknown = list[0]?.toJS() ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new UserConfigInvalid(`${name} rendered no mapping (a config.yaml is key: value lines)`);
  return config as Record<string, unknown>;
}
