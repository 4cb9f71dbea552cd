/**
 * The endpoint's own config check: its YAML files (config.yaml, multi_user.yaml, a rendered
 * per-user config) against their JSON Schemas (schemas/endpoint-config.json,
 * multi-user-config.json), compiled once per schema, defaults filled in. A file that fails is
 * refused with one line per problem, named by its key as the user wrote it
 * (`provider.nodes: unknown key`, `max_workers: must be >= 1`), never as an HTTP request body.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import { schemasDir } from './packageRoot.js';

// ajv-formats is CommonJS; under ESM its function arrives as `default` (sometimes twice wrapped).
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((ajvFormats as unknown as { default: AddFormats | { default: AddFormats } }).default as { default?: AddFormats }).default
  ?? ((ajvFormats as unknown as { default: AddFormats }).default);

/** A config that does not match its schema: each problem is `key: what is wrong`. */
export class ConfigInvalid extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

export class ConfigValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(schemaDir = schemasDir()) {
    this.ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true });
    addFormats(this.ajv);
    // ajv-formats' uuid also accepts a urn:uuid: prefix, which no id here has (as the service's validator).
    this.ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    for (const file of readdirSync(schemaDir).filter((name) => name.endsWith('.json'))) {
      this.ajv.addSchema(JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')));
    }
  }

  /** Checks (and fills defaults into) `value`; throws ConfigInvalid naming every failing key. */
  check<T>(schemaId: string, value: unknown): T {
    const validate = this.get(schemaId);
    if (!validate(value)) throw new ConfigInvalid(describeProblems(validate.errors ?? []));
    return value as T;
  }

  private get(schemaId: string): ValidateFunction {
    let validate = this.compiled.get(schemaId);
    if (!validate) {
      validate = this.ajv.getSchema(schemaId);
      if (!validate) throw new Error(`no schema ${schemaId} in ${schemasDir()}`);
      this.compiled.set(schemaId, validate);
    }
    return validate;
  }
}

/** One line per problem, by dotted key; a bad key (propertyNames) is reported once, by its name. */
export function describeProblems(errors: ErrorObject[]): string[] {
  return errors.filter((error) => error.keyword !== 'propertyNames').map((error) => {
    const key = error.instancePath === '' ? '' : error.instancePath.slice(1).replace(/\//g, '.');
    const within = (name: string) => (key ? `${key}.${name}` : name);
    const params = error.params as Record<string, unknown>;
    if (params.additionalProperty !== undefined) return `${within(String(params.additionalProperty))}: unknown key`;
    if (params.missingProperty !== undefined) return `${within(String(params.missingProperty))}: required`;
    if (error.propertyName !== undefined) return `${within(error.propertyName)}: this key ${error.message ?? 'is invalid'}`;
    return `${key || '(top level)'}: ${error.message ?? 'is invalid'}`;
  });
}
