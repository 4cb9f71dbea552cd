/**
 * Checks against the schemas in schemas/, answered in the Actions API's terms:
 * a failure is a 422 whose description names the field (`body.tasks[0].function_id`).
 */
import { RequestMalformed } from '../src/forParts.js';
import type { Validator } from '../src/forParts.js';
import { RequestValidationError } from './errors.js';

interface Failure {
  path: string;
  message: string;
  params?: Record<string, unknown>;
}

export function checkSchema<T>(validator: Validator, schemaId: string, value: unknown, fieldPrefix: string): T {
  try {
    return validator.check<T>(schemaId, value, 'body');
  } catch (error) {
    if (!(error instanceof RequestMalformed)) throw error;
    const failures = (error.details as Failure[] | undefined) ?? [];
    throw new RequestValidationError(describeFailures(failures, fieldPrefix) || error.message);
  }
}

/** `/tasks/0/function_id` under prefix `body` -> `body.tasks[0].function_id`. */
export function fieldName(prefix: string, pointer: string): string {
  let name = prefix;
  for (const part of pointer.split('/').filter((p) => p !== '')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    name += /^\d+$/.test(key) ? `[${key}]` : name === '' ? key : `.${key}`;
  }
  return name === '' ? '(the request)' : name;
}

function describeFailures(failures: Failure[], prefix: string): string {
  // Drop the wrappers (oneOf/anyOf/propertyNames) when a precise message names the same place.
  const precise = failures.filter((f) => !/must match (exactly one|a) schema|property name must be valid/.test(f.message));
  const shown = (precise.length > 0 ? precise : failures).slice(0, 4).map((f) => {
    const missing = f.params?.missingProperty as string | undefined;
    const extra = f.params?.additionalProperty as string | undefined;
    if (missing !== undefined) return `Field '${fieldName(prefix, `${f.path}/${missing}`)}' is required`;
    if (extra !== undefined) return `Field '${fieldName(prefix, `${f.path}/${extra}`)}' is not allowed`;
    return `Field '${fieldName(prefix, f.path)}' ${f.message}`;
  });
  return [...new Set(shown)].join('; ');
}
