/** The shell script of one block: scheduler directives, worker_init, then the manager. */

/** Quotes one argument for /bin/sh. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\-./:=@%+,]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function jobScript(input: { directives: string[]; workerInit: string[]; launch: string[]; command: string[] }): string {
  return [
    '#!/bin/sh',
    ...input.directives,
    '# Written by funcx-endpoint: one block, running a worker manager per node.',
    'set -e',
    ...input.workerInit,
    // exec: the manager gets the scheduler's signals itself (scancel, walltime).
    `exec ${[...input.launch, ...input.command].map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
}
