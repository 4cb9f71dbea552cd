/** `funcx function register FILE ...` and `funcx function search [Q]`. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Registrable } from '../../functionSource.js';
import { MPIFunction, ShellFunction } from '../../shellFunction.js';
import { optionString, type Command } from '../command.js';
import { EXIT_OK, UsageError, print, printError, printJson } from '../io.js';
import { inferFunction } from '../inferFunction.js';
import { integerOption, secondsOption } from '../parse.js';

const RUNTIMES = ['python', 'javascript', 'shell', 'mpi'];

export const functionRegisterCommand: Command = {
  name: 'function register',
  synopsis: 'FILE [--runtime python|javascript|shell|mpi] [--entry-point NAME] [--name N] [--description D] [--public] [--searchable] [--group G]... [--walltime SECONDS] [--container-image IMAGE]',
  summary: 'register the function in FILE (runtime from its extension, a .py file\'s only function as entry point; mpi: FILE is the command template, run with $PARSL_MPI_PREFIX); prints its id',
  options: {
    runtime: { type: 'string' },
    'entry-point': { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    public: { type: 'boolean' },
    searchable: { type: 'boolean' },
    group: { type: 'string', multiple: true },
    walltime: { type: 'string' },
    'container-image': { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
  async run({ io, values, positionals, json, client }) {
    const givenRuntime = optionString(values, 'runtime');
    if (givenRuntime !== undefined && !RUNTIMES.includes(givenRuntime)) throw new UsageError(`--runtime must be one of ${RUNTIMES.join(', ')}`);
    const givenEntryPoint = optionString(values, 'entry-point');
    const file = positionals[0];
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
    }
    const { runtime, entryPoint, notes } = inferFunction(file, source, { runtime: givenRuntime, entryPoint: givenEntryPoint });
    const template = runtime === 'shell' || runtime === 'mpi';
    if (template && entryPoint) throw new UsageError(`${runtime === 'mpi' ? 'an' : 'a'} ${runtime} function has no --entry-point: FILE is the command template`);
    if (!template && values.walltime !== undefined) throw new UsageError('--walltime is for shell and mpi functions (the endpoint\'s task_walltime limits the others)');
    // On stderr, so stdout stays the bare id for $(...) and --json stays one document.
    if (notes.length > 0) printError(io, `funcx: inferred ${notes.join(' and ')}`);
    let fn: Registrable;
    if (template) {
      const Template = runtime === 'mpi' ? MPIFunction : ShellFunction;
      fn = new Template(source.trimEnd(), { walltime: secondsOption(values, 'walltime'), name: path.basename(file) });
    } else if (runtime === 'python') {
      fn = { runtime, source, entryPoint: entryPoint! };
    } else {
      // Without --entry-point, FILE is one function expression, as the JavaScript worker evaluates it.
      fn = { runtime: 'javascript', source, entryPoint };
    }
    const functionId = await client().registerFunction(fn, {
      name: optionString(values, 'name'),
      description: optionString(values, 'description'),
      public: values.public as boolean | undefined,
      searchable: values.searchable as boolean | undefined,
      group: values.group as string[] | undefined,
      containerImage: optionString(values, 'container-image'),
    });
    if (json) printJson(io, { function_uuid: functionId });
    else print(io, functionId);
    return EXIT_OK;
  },
};

export const functionSearchCommand: Command = {
  name: 'function search',
  synopsis: '[Q] [--offset N] [--limit N]',
  summary: 'functions whose name, description, owner or source contain Q, as a table',
  options: { offset: { type: 'string' }, limit: { type: 'string' } },
  positionals: { min: 0, max: 1 },
  async run({ io, values, positionals, json, client }) {
    const results = await client().searchFunction(positionals[0] ?? '', {
      offset: integerOption(values, 'offset', 0),
      limit: integerOption(values, 'limit', 1),
    });
    if (json) printJson(io, { total: results.total, offset: results.offset, limit: results.limit, functions: [...results] });
    else print(io, String(results));
    return EXIT_OK;
  },
};
