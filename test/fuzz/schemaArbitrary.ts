/**
 * fast-check arbitraries read from the JSON schemas in schemas/: values that
 * follow a schema (at its boundaries: min/max lengths, sizes and numbers), and
 * the same values with some nodes broken (wrong types, missing and extra
 * fields, huge and negative numbers, deep nesting, long strings, lone
 * surrogates, bad UUIDs). Only the keywords schemas/ uses are understood.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { packageRoot } from '../../src/util/paths.js';

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema | JsonSchema[];
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  minProperties?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  $ref?: string;
  definitions?: Record<string, JsonSchema>;
  $defs?: Record<string, JsonSchema>;
}

export interface Generation {
  /** Ids that exist in the service (its function, endpoint, task...): a format uuid picks one of these half the time. */
  knownIds: readonly string[];
  /** Break nodes (true) or follow the schema (false). */
  mutate: boolean;
  /** Replaces a schema for one property name, and always sends it (a long-poll's wait, kept short so a valid case answers quickly). */
  overrides?: Record<string, JsonSchema>;
}

/** `{"a":{"a":...}}` as a value, built without recursion. */
export function nestedValue(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
}

const BAD_UUIDS = [
  '', 'not-a-uuid', '00000000-0000-0000-0000-00000000000g', 'urn:uuid:00000000-0000-4000-8000-000000000000',
  '00000000000040008000000000000000', '{00000000-0000-4000-8000-000000000000}', '00000000-0000-4000-8000-000000000000\n',
  '../../etc/passwd', '%00', "' OR 1=1 --",
];

/** Values no schema here allows in most places: the "wrong type / boundary" pool. */
export const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, -1, -0, 0.5, 1e20, -1e20, 1e308, -1e308, 2 ** 31, 2 ** 53 + 2, 2 ** 64, Number.MIN_VALUE),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }), // lone surrogates included
  fc.constantFrom<unknown>('x'.repeat(100_000), 'é'.repeat(40_000), '\u0000', '\ud800', '\udfff'.repeat(3), '1e309', 'NaN', 'Infinity'),
  fc.constantFrom<unknown>(...BAD_UUIDS),
  fc.constantFrom<unknown>({}, [], [[]], { '': null }, JSON.parse('{"__proto__":{"admin":true},"constructor":"x"}')),
  fc.constantFrom<unknown>(nestedValue(63), nestedValue(70), nestedValue(200)),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

export function schemaArbitrary(schema: JsonSchema, gen: Generation, root: JsonSchema = schema): fc.Arbitrary<unknown> {
  const follow = node(schema, gen, root);
  return gen.mutate ? fc.oneof({ weight: 5, arbitrary: follow }, { weight: 1, arbitrary: nasty }) : follow;
}

function node(schema: JsonSchema, gen: Generation, parentRoot: JsonSchema): fc.Arbitrary<unknown> {
  const root = schema.definitions || schema.$defs ? schema : parentRoot;
  if (schema.$ref && !schema.$ref.startsWith('#')) {
    // Another file in schemas/ (resource-specification.json), maybe with a fragment inside it.
    const [file, fragment] = schema.$ref.split('#');
    const other = loadSchemaFile(file);
    return schemaArbitrary(fragment ? resolve(`#${fragment}`, other) : other, gen, other);
  }
  if (schema.$ref) return schemaArbitrary(resolve(schema.$ref, root), gen, root);
  if (schema.oneOf || schema.anyOf) {
    const branches = (schema.oneOf ?? schema.anyOf ?? []).map((branch) => schemaArbitrary({ ...withoutBranches(schema), ...branch }, gen, root));
    return fc.oneof(...branches);
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : ['object'];
  return fc.oneof(...types.map((type) => ofType(type, schema, gen, root)));
}

function ofType(type: string, schema: JsonSchema, gen: Generation, root: JsonSchema): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string': return stringFor(schema, gen);
    case 'integer': return numberFor(schema, true);
    case 'number': return numberFor(schema, false);
    case 'boolean': return fc.boolean();
    case 'null': return fc.constant(null);
    case 'array': {
      // A tuple (draft-07's items as a list): one value per position.
      if (Array.isArray(schema.items)) return fc.tuple(...schema.items.map((item) => schemaArbitrary(item, gen, root)));
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.min(schema.maxItems ?? minLength + 3, minLength + 3);
      return fc.array(schemaArbitrary(schema.items ?? {}, gen, root), { minLength, maxLength });
    }
    default: return objectFor(schema, gen, root);
  }
}

function stringFor(schema: JsonSchema, gen: Generation): fc.Arbitrary<string> {
  if (schema.format === 'uuid') {
    return gen.knownIds.length > 0 ? fc.oneof(fc.constantFrom(...gen.knownIds), fc.uuid()) : fc.uuid();
  }
  if (schema.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
  if (schema.pattern) {
    const pattern = new RegExp(schema.pattern);
    const fits = (s: string) => s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? Infinity);
    try {
      return fc.stringMatching(pattern).filter(fits);
    } catch {
      // fast-check cannot generate from lookaheads (the ISO 8601 duration): known matches instead.
      const samples = PATTERN_SAMPLES.filter((s) => pattern.test(s) && fits(s));
      if (samples.length === 0) throw new Error(`no sample matches ${schema.pattern}`);
      return fc.constantFrom(...samples);
    }
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? 64;
  // The bounds themselves, and anything between (short, to keep cases cheap).
  return fc.oneof(
    fc.string({ minLength, maxLength: Math.min(maxLength, minLength + 16) }),
    fc.constant('a'.repeat(minLength)),
    fc.constant('z'.repeat(Math.min(maxLength, 70_000))),
  );
}

const PATTERN_SAMPLES = ['P1D', 'PT1H', 'P30D', 'P3650D', 'P1Y2M3DT4H5M6S', 'PT0S', 'P0D', 'PT0.5S', 'P1W'];

function numberFor(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = schema.minimum ?? -(2 ** 31);
  const max = schema.maximum ?? 2 ** 31;
  const inside = integer ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true });
  return fc.oneof(inside, fc.constantFrom(min, max));
}

function objectFor(schema: JsonSchema, gen: Generation, root: JsonSchema): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  if (Object.keys(properties).length === 0 && (schema.additionalProperties === undefined || schema.additionalProperties === true)) {
    // Free-form (metadata, an action's body, kwargs): any JSON, sometimes deep.
    return fc.oneof({ weight: 4, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(nestedValue(40), nestedValue(62)) });
  }
  const required = new Set(schema.required ?? []);
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, child] of Object.entries(properties)) record[name] = schemaArbitrary(gen.overrides?.[name] ?? child, gen, root);
  let value: fc.Arbitrary<Record<string, unknown>> = fc.record(record, { requiredKeys: Object.keys(record).filter((k) => required.has(k) || gen.overrides?.[k] !== undefined) });
  if (typeof schema.additionalProperties === 'object') {
    // A map (submit's tasks: function id -> payloads): keys from propertyNames.
    const keys = schema.propertyNames ? stringFor(schema.propertyNames, gen) : fc.string({ maxLength: 12 });
    const map = fc.dictionary(keys, schemaArbitrary(schema.additionalProperties, gen, root), { minKeys: schema.minProperties ?? 0, maxKeys: 3 });
    value = fc.tuple(value, map).map(([fixed, extra]) => ({ ...extra, ...fixed }));
  }
  if (!gen.mutate) return value;
  // Broken objects: a required field missing, an unknown one added.
  return fc.tuple(value, fc.constantFrom('keep', 'drop', 'extra'), fc.constantFrom(...(required.size > 0 ? [...required] : ['-'])), nasty).map(([v, how, key, extra]) => {
    if (how === 'drop') { const copy = { ...v }; delete copy[key]; return copy; }
    if (how === 'extra') return { ...v, unexpected_field: extra };
    return v;
  });
}

function loadSchemaFile(file: string): JsonSchema {
  return JSON.parse(readFileSync(path.join(packageRoot(), 'schemas', file), 'utf8')) as JsonSchema;
}

function resolve(ref: string, root: JsonSchema): JsonSchema {
  const match = /^#\/(definitions|\$defs)\/(.+)$/.exec(ref);
  const found = match ? (root[match[1] as 'definitions' | '$defs'] ?? {})[match[2]] : undefined;
  if (!found) throw new Error(`cannot resolve ${ref}`);
  return found;
}

function withoutBranches(schema: JsonSchema): JsonSchema {
  const copy = { ...schema };
  delete copy.oneOf;
  delete copy.anyOf;
  return copy;
}
