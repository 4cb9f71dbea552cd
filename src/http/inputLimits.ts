/**
 * Limits on every input, in one place. Every route (native API, endpoint
 * protocol, Action Provider) reads its body through `parseJsonBody` and its
 * query numbers through `strictInteger`, so no value reaches a handler, a
 * recursion (JSON.stringify, ajv, canonical hashing) or the database unless it
 * is within these bounds:
 *
 * - the body size is counted while it streams in (jsonBody.ts, maxBodyBytes);
 * - the body must be valid UTF-8: a bad byte is refused, never "repaired" into
 *   U+FFFD and stored as something the caller did not send;
 * - JSON nesting is limited to MAX_JSON_DEPTH, checked by a flat scan of the
 *   text before JSON.parse builds anything (a value nested thousands deep
 *   would otherwise overflow the stack later, in JSON.stringify: a 500);
 * - a query number is plain decimal digits, a safe integer, and within its
 *   schema's bounds (`1e309` is not Infinity, `1e20` never reaches OFFSET).
 */
import { RequestMalformed } from '../errors.js';

/** Deeper than any body the API defines (the deepest schema is ~6 levels); user metadata and action bodies get the rest. */
export const MAX_JSON_DEPTH = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The body as text; invalid UTF-8 is a 400, not a silent U+FFFD. */
export function decodeUtf8(raw: Uint8Array): string {
  try {
    return utf8.decode(raw);
  } catch {
    throw new RequestMalformed('body is not valid UTF-8', { details: [{ location: 'body', path: '/', message: 'must be valid UTF-8' }] });
  }
}

/**
 * Throws when brackets nest deeper than maxDepth. One pass over the text, no
 * recursion; brackets inside strings (escapes included) do not count. Runs
 * before JSON.parse, so a malformed text may pass here and fail there.
 */
export function checkJsonDepth(text: string, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i += 1;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth += 1;
      if (depth > maxDepth) {
        throw new RequestMalformed(`body is nested deeper than ${maxDepth} levels`, { details: [{ location: 'body', path: '/', message: `must not nest deeper than ${maxDepth} levels` }] });
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth -= 1;
    }
  }
}

/** A request body as JSON, within every limit above (the size was checked while reading). */
export function parseJsonBody(raw: Uint8Array, maxDepth = MAX_JSON_DEPTH): unknown {
  const text = decodeUtf8(raw);
  checkJsonDepth(text, maxDepth);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestMalformed(`body is not valid JSON: ${(error as Error).message}`);
  }
}

export interface IntegerBounds {
  minimum?: number;
  maximum?: number;
}

// Plain decimal: no exponent, fraction, sign on zero, hex, spaces or leading zeros beyond one digit.
const DECIMAL = /^-?(0|[1-9][0-9]{0,15})$/;

/**
 * A query parameter that must be a whole number: plain decimal digits, a safe
 * integer, within its bounds. Anything else is a 400 naming the parameter.
 */
export function strictInteger(name: string, text: string, bounds: IntegerBounds): number {
  const value = DECIMAL.test(text) ? Number(text) : NaN;
  const min = bounds.minimum ?? Number.MIN_SAFE_INTEGER;
  const max = bounds.maximum ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(value) || value < min || value > max || Object.is(value, -0)) {
    throw new RequestMalformed(`query parameter "${name}" must be a whole number from ${min} to ${max} (got "${clip(text)}")`, {
      details: [{ location: 'query', path: `/${name}`, message: `must be a whole number from ${min} to ${max}`, params: { parameter: name } }],
    });
  }
  return value;
}

/** One value per query parameter: `?limit=1&limit=2` is refused rather than guessed. */
export function singleQueryValue(name: string, value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) {
    throw new RequestMalformed(`query parameter "${name}" is given more than once`, {
      details: [{ location: 'query', path: `/${name}`, message: 'must be given once', params: { parameter: name } }],
    });
  }
  return value;
}

interface QuerySchema {
  properties?: Record<string, { type?: string | string[] } & IntegerBounds>;
}

/**
 * The query as ajv should see it: one value per parameter, and every integer
 * parameter of the schema already parsed strictly (ajv's coercion would take
 * `1e20`, `0x10`, ` 5` and `1e309` = Infinity).
 */
export function strictQuery(schema: QuerySchema, query: Record<string, string | string[] | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(query)) {
    const text = singleQueryValue(name, raw);
    if (text === undefined) continue;
    const property = schema.properties?.[name];
    out[name] = property?.type === 'integer' ? strictInteger(name, text, property) : text;
  }
  return out;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
