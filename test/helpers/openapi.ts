/**
 * Checks an API answer against the OpenAPI document the build produced
 * (dist/src/openapi/openapi.json): the operation must document the answer's
 * status, and a JSON body must match the schema the document names for it
 * (validated by the schemas in schemas/, by a separate ajv that never fills
 * defaults into the body). live.call (helpers/service.ts) runs it on every
 * answer, so every API test also tests the document.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import { DOCUMENT_FILE } from '../../src/openapi/routes.js';
import { packageRoot } from '../../src/util/paths.js';

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((ajvFormats as unknown as { default: AddFormats | { default: AddFormats } }).default as { default?: AddFormats }).default
  ?? ((ajvFormats as unknown as { default: AddFormats }).default);

interface SchemaRef { $ref?: string; anyOf?: { $ref: string }[] }
interface Operation { responses: Record<string, { content?: Record<string, { schema?: SchemaRef }> }> }
export interface Doc { paths: Record<string, Record<string, Operation>> }

let ajvInstance: Ajv | undefined;
const byDocument = new WeakMap<object, { regex: RegExp; template: string }[]>();

/** The document as built (the default Action Provider base path); a live service serves its own at /openapi.json. */
export function builtDocument(): Doc {
  return JSON.parse(readFileSync(DOCUMENT_FILE, 'utf8')) as Doc;
}

function matchersOf(doc: Doc) {
  let matchers = byDocument.get(doc);
  if (matchers) return matchers;
  matchers = Object.keys(doc.paths).map((template) => ({
    template,
    regex: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+').replace(/\{\w+\}/g, '[^/]+')}/?$`),
  }));
  byDocument.set(doc, matchers);
  return matchers;
}

function ajv(): Ajv {
  if (ajvInstance) return ajvInstance;
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  const dir = path.join(packageRoot(), 'schemas');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) ajv.addSchema(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
  return (ajvInstance = ajv);
}

/** The documented operation for a request, if the path is documented (static templates win over parameters). */
export function findOperation(doc: Doc, method: string, urlPath: string): { template: string; operation: Operation } | undefined {
  const matchers = matchersOf(doc);
  const pathOnly = urlPath.split('?')[0];
  const candidates = matchers.filter((m) => m.regex.test(pathOnly) && doc.paths[m.template][method.toLowerCase()]);
  candidates.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
  const found = candidates[0];
  return found ? { template: found.template, operation: doc.paths[found.template][method.toLowerCase()] } : undefined;
}

/** Why this answer does not match the document ('' when it does, or when the path is not one of the API's). */
export function responseProblem(doc: Doc, method: string, urlPath: string, status: number, body: unknown, contentType: string | null): string {
  const found = findOperation(doc, method, urlPath);
  if (!found) return '';
  const response = found.operation.responses[String(status)];
  const where = `${method} ${found.template} answered ${status}`;
  if (!response) return `${where}, a status the OpenAPI document does not list (${Object.keys(found.operation.responses).join(', ')})`;
  const schema = response.content?.['application/json']?.schema;
  const refs = schema?.$ref ? [schema.$ref] : (schema?.anyOf ?? []).map((s) => s.$ref);
  if (refs.length === 0 || !(contentType ?? '').includes('json')) return '';
  const failures: string[] = [];
  for (const ref of refs) {
    const schemaId = `${ref.split('/').pop()}.json`;
    const validate = ajv().getSchema(schemaId);
    if (!validate) return `${where}: no schema ${schemaId}`;
    if (validate(body)) return '';
    failures.push(`${schemaId}: ${ajv().errorsText(validate.errors, { dataVar: 'body' })}`);
  }
  return `${where}: body does not match ${failures.join('; nor ')}`;
}
