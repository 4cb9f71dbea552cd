/**
 * User settings from the administrator's template.
 *
 * The template is the per-user endpoint's config.yaml, parsed once into a
 * structure; a scalar that is exactly `{{ name }}` takes the user's value
 * (typed: a number stays a number, a list a list; an absent value removes the
 * key), and `{{ name }}` inside a longer string takes the value as text. The
 * values are first checked against the administrator's JSON Schema (which
 * must close the object: additionalProperties false).
 *
 * Nothing is ever rendered as text and parsed again: a value is a leaf of the
 * structure, so a newline, a YAML document, a quote or a shell
 * metacharacter in it stays inside that one field and cannot add, change or
 * remove another setting. (What a field means is the template's business: a
 * field that is shell, like worker_init, is shell; the schema should say what
 * the site accepts there.)
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import YAML from 'yaml';

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((ajvFormats as unknown as { default: AddFormats | { default: AddFormats } }).default as { default?: AddFormats }).default
  ?? ((ajvFormats as unknown as { default: AddFormats }).default);

/** The values broke the administrator's schema (or the template cannot use them): the task fails with this. */
export class UserConfigInvalid extends Error {}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

export class UserConfigTemplate {
  private constructor(
    private readonly template: Record<string, unknown>,
    private readonly validate: ValidateFunction,
    readonly names: ReadonlySet<string>,
  ) {}

  static load(templateFile: string, schemaFile: string): UserConfigTemplate {
    let template: unknown;
    let schema: Record<string, unknown>;
    try {
      template = YAML.parse(readFileSync(templateFile, 'utf8'));
    } catch (error) {
      throw new Error(`user config template ${templateFile}: ${(error as Error).message}`);
    }
    if (!isObject(template)) throw new Error(`user config template ${templateFile}: must be a mapping (a config.yaml)`);
    try {
      schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`user config schema ${schemaFile}: ${(error as Error).message}`);
    }
    return UserConfigTemplate.from(template, schema, { templateFile, schemaFile });
  }

  static from(template: Record<string, unknown>, schema: Record<string, unknown>, where = { templateFile: 'template', schemaFile: 'schema' }): UserConfigTemplate {
    if (schema.type !== 'object' || schema.additionalProperties !== false) {
      throw new Error(`user config schema ${where.schemaFile}: must be {"type": "object", "additionalProperties": false, ...}, so users send only the values it names`);
    }
    const declared = new Set(Object.keys(isObject(schema.properties) ? schema.properties : {}));
    const names = new Set<string>();
    walkStrings(template, (text) => {
      for (const match of text.matchAll(PLACEHOLDER)) names.add(match[1]);
    });
    const undeclared = [...names].filter((name) => !declared.has(name));
    if (undeclared.length > 0) throw new Error(`user config template ${where.templateFile}: {{ ${undeclared.join(' }}, {{ ')} }} not in the schema's properties`);
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, allowUnionTypes: true });
    addFormats(ajv);
    let validate: ValidateFunction;
    try {
      validate = ajv.compile(schema);
    } catch (error) {
      throw new Error(`user config schema ${where.schemaFile}: ${(error as Error).message}`);
    }
    return new UserConfigTemplate(template, validate, names);
  }

  /** The per-user endpoint's config for these values, as a structure; throws UserConfigInvalid. */
  render(values: Record<string, unknown>): Record<string, unknown> {
    const checked = structuredClone(values); // the schema's defaults are filled into the copy
    if (!this.validate(checked)) {
      const problems = (this.validate.errors ?? []).slice(0, 5).map((e) => {
        if (e.keyword === 'additionalProperties') return `"${(e.params as { additionalProperty: string }).additionalProperty}" is not a setting users may choose`;
        return `${e.instancePath || 'user_endpoint_config'} ${e.message}`;
      });
      throw new UserConfigInvalid(`user_endpoint_config refused by the endpoint's schema: ${problems.join('; ')}`);
    }
    return substitute(this.template, checked) as Record<string, unknown>;
  }
}

const ABSENT = Symbol('absent');

function substitute(node: unknown, values: Record<string, unknown>): unknown {
  if (typeof node === 'string') {
    const whole = WHOLE.exec(node);
    if (whole) return whole[1] in values ? structuredClone(values[whole[1]]) : ABSENT;
    return node.replace(PLACEHOLDER, (_text, name: string) => {
      const value = values[name];
      if (value === undefined) throw new UserConfigInvalid(`user_endpoint_config needs "${name}"`);
      if (typeof value === 'object' && value !== null) throw new UserConfigInvalid(`"${name}" goes into text here, so it must be a string, number or boolean`);
      return String(value);
    });
  }
  if (Array.isArray(node)) return node.map((item) => substitute(item, values)).filter((item) => item !== ABSENT);
  if (isObject(node)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const rendered = substitute(value, values);
      if (rendered !== ABSENT) out[key] = rendered;
    }
    return out;
  }
  return node;
}

function walkStrings(node: unknown, visit: (text: string) => void): void {
  if (typeof node === 'string') visit(node);
  else if (Array.isArray(node)) for (const item of node) walkStrings(item, visit);
  else if (isObject(node)) for (const value of Object.values(node)) walkStrings(value, visit);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
