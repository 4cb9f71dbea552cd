/**
 * What `funcx function register FILE` can tell from FILE itself, so the user need not say it:
 * the runtime from the extension, and a Python file's entry point when the file defines
 * exactly one top-level function. Whatever is inferred is reported, so nothing is guessed
 * silently; anything ambiguous stays a usage error that says which option settles it.
 */
import path from 'node:path';
import { UsageError } from './io.js';

/** mpi is never inferred (a .sh file is a shell function): it takes --runtime mpi. */
export type Runtime = 'python' | 'javascript' | 'shell' | 'mpi';

const BY_EXTENSION: Record<string, Runtime> = {
  '.py': 'python',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.sh': 'shell',
};

export interface Inferred {
  runtime: Runtime;
  entryPoint?: string;
  /** One phrase per inferred value, e.g. "--runtime python (from .py)". */
  notes: string[];
}

/** Names of the functions defined at the top level of Python source (`def f(` / `async def f(` at column 0). */
export function topLevelPythonFunctions(source: string): string[] {
  return [...source.matchAll(/^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(/gm)].map((m) => m[1]);
}

export function inferFunction(file: string, source: string, given: { runtime?: string; entryPoint?: string }): Inferred {
  const notes: string[] = [];
  let runtime = given.runtime as Runtime | undefined;
  if (runtime === undefined) {
    const extension = path.extname(file).toLowerCase();
    runtime = BY_EXTENSION[extension];
    if (!runtime) {
      throw new UsageError(`cannot tell the runtime of ${file} from its extension (${extension || 'none'}): pass --runtime python|javascript|shell|mpi`);
    }
    notes.push(`--runtime ${runtime} (from ${extension})`);
  }
  let entryPoint = given.entryPoint;
  if (runtime === 'python' && entryPoint === undefined) {
    const names = topLevelPythonFunctions(source);
    if (names.length !== 1) {
      const found = names.length === 0 ? 'no top-level function' : `${names.length} top-level functions (${names.join(', ')})`;
      throw new UsageError(`${file} defines ${found}: name the one to call with --entry-point`);
    }
    entryPoint = names[0];
    notes.push(`--entry-point ${entryPoint} (the file's only top-level function)`);
  }
  return { runtime, entryPoint, notes };
}
