/**
 * What can be registered as a function, and the registration request for it:
 * - a JavaScript function: its source (`fn.toString()`), runtime `javascript`,
 *   no entry point (the endpoint's JS worker evaluates the source as one
 *   function expression, so it must not use variables from its closure);
 * - `{runtime: 'python', source, entryPoint}`: Python source and the name of
 *   the function in it to call;
 * - a ShellFunction (an MPIFunction registers with runtime `mpi`).
 */
import { InvalidArgument } from './errors.js';
import { ShellFunction } from './shellFunction.js';
import type { Runtime } from './types.js';

export interface PythonFunction {
  runtime: 'python';
  source: string;
  entryPoint: string;
  name?: string;
}

/** JavaScript source: with `entryPoint`, definitions of which it names the one to call; without, one function expression. */
export interface JavaScriptSource {
  runtime: 'javascript';
  source: string;
  entryPoint?: string;
  name?: string;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any user function is accepted; its source is what is sent
export type Registrable = Function | PythonFunction | JavaScriptSource | ShellFunction;

export interface FunctionDefinition {
  runtime: Runtime;
  source: string;
  entry_point?: string;
  name: string;
}

export function functionDefinition(fn: Registrable): FunctionDefinition {
  if (fn instanceof ShellFunction) return { runtime: fn.runtime, source: fn.source, name: fn.name };
  if (typeof fn === 'function') return javascriptDefinition(fn);
  if (fn && typeof fn === 'object' && (fn.runtime === 'python' || fn.runtime === 'javascript')) {
    if (typeof fn.source !== 'string' || !fn.source.trim()) throw new InvalidArgument(`a ${fn.runtime} function needs its source`);
    if (fn.runtime === 'javascript' && !fn.entryPoint) return { runtime: 'javascript', source: fn.source, name: fn.name ?? 'javascript-function' };
    if (typeof fn.entryPoint !== 'string' || !fn.entryPoint) throw new InvalidArgument(`a ${fn.runtime} function needs an entryPoint: the name of the function to call in its source`);
    return { runtime: fn.runtime, source: fn.source, entry_point: fn.entryPoint, name: fn.name ?? fn.entryPoint };
  }
  throw new InvalidArgument('registerFunction takes a JavaScript function, {runtime: "python", source, entryPoint}, {runtime: "javascript", source, entryPoint} or a ShellFunction');
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
function javascriptDefinition(fn: Function): FunctionDefinition {
  const source = fn.toString();
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new InvalidArgument(`${fn.name || 'this function'} is native or bound: it has no source to send`);
  }
  if (/^class[\s{]/.test(source)) throw new InvalidArgument('a class cannot be registered; register a function');
  // A method shorthand (`{ double(x) {...} }`) prints as `double(x) {...}`, which is no expression: the
  // endpoint could not evaluate it. Compiling (not running) the expression here says so at once.
  try {
    new Function(`return (${source}\n)`);
  } catch {
    throw new InvalidArgument(`the source of ${fn.name || 'this function'} is not a function expression (a method shorthand?); write it as \`function name(...) {...}\` or an arrow function`);
  }
  return { runtime: 'javascript', source, name: fn.name || 'javascript-function' };
}

/** Functions with the same definition are registered once by an Executor. */
export function definitionKey(definition: FunctionDefinition): string {
  return JSON.stringify([definition.runtime, definition.entry_point ?? null, definition.source]);
}
