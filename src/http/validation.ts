/**
 * ajv, compiled once per schema from the files in schemas/ (the single source of
 * truth for every body). Bodies are checked strictly with defaults filled in;
 * query strings are coerced from text first.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import { RequestMalformed } from '../errors.js';
import { packageRoot } from '../util/paths.js';

// ajv-formats is CommonJS; under ESM its function arrives as `default` (sometimes twice wrapped).
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((ajvFormats as unknown as { default: AddFormats | { default: AddFormats } }).default as { default?: AddFormats }).default
  ?? ((ajvFormats as unknown as { default: AddFormats }).default);

export type Location = 'body' | 'query' | 'params';

export class Validator {
  private readonly bodies: Ajv;
  private readonly queries: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(schemaDir = path.join(packageRoot(), 'schemas')) {
    this.bodies = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true });
    this.queries = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: true, strict: true, allowUnionTypes: true });
    for (const ajv of [this.bodies, this.queries]) {
      addFormats(ajv);
      // ajv-formats' uuid also accepts a urn:uuid: prefix, which no id here has.
      ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
      for (const file of readdirSync(schemaDir).filter((f) => f.endsWith('.json'))) {
        ajv.addSchema(JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')));
      }
    }
  }

  /** Checks (and fills defaults into) `value`; throws RequestMalformed naming every failing field. */
  check<T>(schemaId: string, value: unknown, location: Location): T {
    const validate = this.get(schemaId, location);
    if (!validate(value)) throw new RequestMalformed(describe(validate.errors ?? [], location), { details: validationDetails(validate.errors ?? [], location) });
    return value as T;
  }

  /** The schema's own JSON (for the strict query parser's integer bounds). */
  schemaOf(schemaId: string): Record<string, never> {
    return this.get(schemaId, 'query').schema as Record<string, never>;
  }

  /** true when the value matches; for tests and response checks. */
  matches(schemaId: string, value: unknown): { ok: boolean; errors: string } {
    const validate = this.get(schemaId, 'body');
    const ok = validate(value) as boolean;
    return { ok, errors: ok ? '' : describe(validate.errors ?? [], 'body') };
  }

  private get(schemaId: string, location: Location): ValidateFunction {
    const cacheKey = `${location}:${schemaId}`;
    let validate = this.compiled.get(cacheKey);
    if (!validate) {
      const ajv = location === 'body' ? this.bodies : this.queries;
      validate = ajv.getSchema(schemaId);
      if (!validate) throw new Error(`no schema ${schemaId} in schemas/`);
      this.compiled.set(cacheKey, validate);
    }
    return validate;
  }
}

function validationDetails(errors: ErrorObject[], location: Location) {
  return errors.map((e) => ({ location, path: e.instancePath || '/', message: e.message ?? 'is invalid', params: e.params }));
}

function describe(errors: ErrorObject[], location: Location): string {
  // A bad key (propertyNames) comes as the key's own error plus a vague wrapper; keep the one naming the key.
  errors = errors.filter((e) => e.keyword !== 'propertyNames');
  const parts = errors.slice(0, 5).map((e) => {
    const where = `${location}${e.instancePath}`;
    if (e.propertyName !== undefined) return `${where} has a key "${e.propertyName}" that ${e.message}`;
    if (e.keyword === 'additionalProperties') return `${where} has an unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    if (e.keyword === 'required') return `${where} is missing "${(e.params as { missingProperty: string }).missingProperty}"`;
    return `${where} ${e.message}`;
  });
  if (errors.length > 5) parts.push(`and ${errors.length - 5} more`);
  return `invalid request: ${parts.join('; ')}`;
}
