/**
 * Python's str.format for shell command templates, over JSON values, as
 * Globus Compute's ShellFunction does `cmd.format(**kwargs)`.
 *
 * Like there, values are substituted as is: NO shell quoting. A template
 * "echo {name}" with name "x; rm -rf ~" runs both commands. The function's
 * author decides where quoting belongs (e.g. "echo '{name}'"); whoever can
 * run the function can already run any command through it.
 *
 * Supported: {name}, {0}, {} (automatic numbering), {{ and }}, item access
 * {name[key]} / {name[0]} and {name.key}, conversions !s !r !a, and format
 * specs [[fill]align][sign][0][width][.precision][type] with types s d f F %
 * (others fail with ValueError). Values print as Python would print the
 * decoded JSON: True, False, None, ['a', 1], {'k': 'v'}.
 */
import { ExecutorFailure } from './errors.js';

export function formatTemplate(template: string, args: unknown[], kwargs: Record<string, unknown>): string {
  let out = '';
  let autoIndex = 0;
  let numbering: 'auto' | 'manual' | undefined;
  let i = 0;
  while (i < template.length) {
    const ch = template[i];
    if (ch === '}') {
      if (template[i + 1] !== '}') throw valueError("Single '}' encountered in format string");
      out += '}';
      i += 2;
      continue;
    }
    if (ch !== '{') {
      out += ch;
      i += 1;
      continue;
    }
    if (template[i + 1] === '{') {
      out += '{';
      i += 2;
      continue;
    }
    const close = template.indexOf('}', i + 1);
    if (close < 0) throw valueError("Single '{' encountered in format string");
    const field = template.slice(i + 1, close);
    if (field.includes('{')) throw valueError('nested replacement fields are not supported in shell templates');
    const { name, accessors, conversion, spec } = parseField(field);
    let value: unknown;
    if (name === '' || /^\d+$/.test(name)) {
      const mode = name === '' ? 'auto' : 'manual';
      if (numbering && numbering !== mode) {
        throw valueError(mode === 'auto'
          ? 'cannot switch from manual field specification to automatic field numbering'
          : 'cannot switch from automatic field numbering to manual field specification');
      }
      numbering = mode;
      const index = name === '' ? autoIndex++ : Number(name);
      if (index >= args.length) {
        throw new ExecutorFailure('IndexError', `Replacement index ${index} out of range for positional args tuple`);
      }
      value = args[index];
    } else {
      if (!Object.hasOwn(kwargs, name)) throw new ExecutorFailure('KeyError', `'${name}' (the command template needs it in kwargs)`);
      value = kwargs[name];
    }
    for (const key of accessors) value = access(value, key);
    out += formatValue(convert(value, conversion), spec);
    i = close + 1;
  }
  return out;
}

interface Field {
  name: string;
  accessors: string[];
  conversion: string | undefined;
  spec: string;
}

function parseField(field: string): Field {
  const colon = field.indexOf(':');
  const head = colon < 0 ? field : field.slice(0, colon);
  const spec = colon < 0 ? '' : field.slice(colon + 1);
  const bang = head.indexOf('!');
  const path = bang < 0 ? head : head.slice(0, bang);
  const conversion = bang < 0 ? undefined : head.slice(bang + 1);
  if (conversion !== undefined && !['s', 'r', 'a'].includes(conversion)) {
    throw valueError(`Unknown conversion specifier ${conversion}`);
  }
  const match = /^([^.[]*)((?:\.[^.[]+|\[[^\]]+\])*)$/.exec(path);
  if (!match) throw valueError(`cannot parse the replacement field {${field}}`);
  const accessors = [...match[2].matchAll(/\.([^.[]+)|\[([^\]]+)\]/g)].map((m) => m[1] ?? m[2]);
  return { name: match[1], accessors, conversion, spec };
}

function access(value: unknown, key: string): unknown {
  if (Array.isArray(value) && /^\d+$/.test(key)) {
    const index = Number(key);
    if (index >= value.length) throw new ExecutorFailure('IndexError', 'list index out of range');
    return value[index];
  }
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, key)) return (value as Record<string, unknown>)[key];
  throw new ExecutorFailure('KeyError', `'${key}'`);
}

function convert(value: unknown, conversion: string | undefined): unknown {
  return conversion === 'r' || conversion === 'a' ? pyRepr(value) : value;
}

/** str() of a decoded JSON value, as Python prints it. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** repr() of a decoded JSON value, as Python prints it. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return stringRepr(value);
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  }
  return String(value);
}

/** Python's quoting: single quotes unless the text has one and no double quote. */
function stringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text
    .replaceAll('\\', '\\\\')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replaceAll('\t', '\\t')
    .replaceAll(quote, `\\${quote}`);
  return quote + escaped + quote;
}

const SPEC = /^(?:(.)?([<>=^]))?([-+ ])?(0)?(\d+)?(?:\.(\d+))?([sdfF%])?$/;

function formatValue(value: unknown, spec: string): string {
  if (spec === '') return pyStr(value);
  const match = SPEC.exec(spec);
  if (!match) throw valueError(`Invalid or unsupported format specifier '${spec}' in a shell template`);
  const [, fillChar, alignChar, sign, zero, width, precision, type] = match;
  let text: string;
  let numeric = false;
  if (type === undefined || type === 's') {
    if (type === 's' && typeof value !== 'string') throw valueError(`Unknown format code 's' for a ${typeof value}`);
    text = pyStr(value);
    if (precision !== undefined && typeof value === 'string') text = text.slice(0, Number(precision));
    numeric = typeof value === 'number';
  } else {
    if (typeof value !== 'number') throw valueError(`Unknown format code '${type}' for object of type '${value === null ? 'NoneType' : typeof value}'`);
    numeric = true;
    if (type === 'd') {
      if (!Number.isInteger(value)) throw valueError("Unknown format code 'd' for object of type 'float'");
      text = String(Math.abs(value));
    } else if (type === '%') {
      text = `${Math.abs(value * 100).toFixed(precision === undefined ? 6 : Number(precision))}%`;
    } else {
      text = Math.abs(value).toFixed(precision === undefined ? 6 : Number(precision));
    }
    const negative = value < 0 || Object.is(value, -0);
    text = (negative ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '') + text;
  }
  const fill = fillChar ?? (zero && !alignChar ? '0' : ' ');
  const align = alignChar ?? (zero ? '=' : numeric ? '>' : '<');
  return pad(text, Number(width ?? 0), fill, align);
}

function pad(text: string, width: number, fill: string, align: string): string {
  const missing = width - text.length;
  if (missing <= 0) return text;
  switch (align) {
    case '<':
      return text + fill.repeat(missing);
    case '^':
      return fill.repeat(Math.floor(missing / 2)) + text + fill.repeat(Math.ceil(missing / 2));
    case '=': {
      const signed = /^[-+ ]/.test(text) ? 1 : 0;
      return text.slice(0, signed) + fill.repeat(missing) + text.slice(signed);
    }
    default:
      return fill.repeat(missing) + text;
  }
}

function valueError(message: string): ExecutorFailure {
  return new ExecutorFailure('ValueError', message);
}
