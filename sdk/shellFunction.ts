/**
 * A shell command as a function, like Globus Compute's ShellFunction. The
 * template is formatted on the endpoint with the task's args and kwargs as
 * Python's str.format would (`{0}`, `{name}`; no quoting: quote in the
 * template where values may hold spaces or quotes), then run by /bin/sh.
 * The result is a ShellResult; a non-zero return code is still a success
 * (inspect `returncode`).
 *
 * `walltime` (seconds): the endpoint's shell runtime applies only its own
 * task_walltime, and the service's protocol carries no per-function limit, so
 * the SDK wraps the command in coreutils `timeout`, which gives the same
 * convention: the command is killed and `returncode` is 124. The command
 * is passed to the inner shell through a quoted here-document, so the
 * template is run exactly as written, with no second layer of quoting.
 *
 * `snippetLines` (as upstream's snippet_lines): only the last N lines of
 * stdout and of stderr come back. The command's streams go to files in its
 * task folder (its sandbox), and `tail` prints their ends when it is done;
 * the return code is the command's.
 */
import { InvalidArgument } from './errors.js';

export interface ShellFunctionOptions {
  /** Seconds after which the command is killed (return code 124). */
  walltime?: number;
  /** The function's name in the registry (default "shell-function"; "mpi-function" for an MPIFunction). */
  name?: string;
  /** Only the last this many lines of stdout and of stderr are returned. */
  snippetLines?: number;
}

/** What a ShellFunction's task returns (the shell runtime's JSON result). */
export interface ShellResult {
  cmd: string;
  stdout: string;
  stderr: string;
  returncode: number;
}

/** Ends the here-document; a template containing this exact line could not be wrapped. */
const HEREDOC_END = 'FUNCX_SHELL_COMMAND_END';
/** The same, for the snippet wrapper (around the walltime one when both are set). */
const SNIPPET_END = 'FUNCX_SHELL_SNIPPET_END';

export class ShellFunction {
  readonly cmd: string;
  readonly walltime?: number;
  readonly snippetLines?: number;
  readonly name: string;

  constructor(cmd: string, options: ShellFunctionOptions = {}) {
    if (typeof cmd !== 'string' || !cmd.trim()) throw new InvalidArgument('ShellFunction needs a command template');
    if (options.walltime !== undefined && !(options.walltime > 0 && Number.isFinite(options.walltime))) {
      throw new InvalidArgument(`ShellFunction walltime must be a positive number of seconds, not ${options.walltime}`);
    }
    if (options.walltime !== undefined && cmd.split('\n').includes(HEREDOC_END)) {
      throw new InvalidArgument(`a ShellFunction with a walltime cannot contain the line ${HEREDOC_END}`);
    }
    if (options.snippetLines !== undefined && !(Number.isInteger(options.snippetLines) && options.snippetLines > 0)) {
      throw new InvalidArgument(`ShellFunction snippetLines must be a positive whole number, not ${options.snippetLines}`);
    }
    if (options.snippetLines !== undefined && cmd.split('\n').includes(SNIPPET_END)) {
      throw new InvalidArgument(`a ShellFunction with snippetLines cannot contain the line ${SNIPPET_END}`);
    }
    this.cmd = cmd;
    this.walltime = options.walltime;
    this.snippetLines = options.snippetLines;
    this.name = options.name ?? (this.runtime === 'mpi' ? 'mpi-function' : 'shell-function');
  }

  /** The runtime it is registered with. */
  get runtime(): 'shell' | 'mpi' {
    return 'shell';
  }

  /** The template the endpoint runs. */
  get source(): string {
    const timed = this.walltime === undefined ? this.cmd : `timeout ${this.walltime} /bin/sh -c "$(cat <<'${HEREDOC_END}'\n${this.cmd}\n${HEREDOC_END}\n)"`;
    return this.snippetLines === undefined ? timed : snippetWrapper(timed, this.snippetLines);
  }
}

/** Runs `command` with its streams in files of the task folder, then prints the last `lines` lines of each. */
function snippetWrapper(command: string, lines: number): string {
  return `/bin/sh -c "$(cat <<'${SNIPPET_END}'\n${command}\n${SNIPPET_END}\n)" >.funcx-stdout 2>.funcx-stderr; funcx_rc=$?\n`
    + `tail -n ${lines} .funcx-stdout; tail -n ${lines} .funcx-stderr >&2; exit $funcx_rc`;
}

/**
 * An MPI command as a function, like Globus Compute's MPIFunction: a ShellFunction whose
 * template puts `$PARSL_MPI_PREFIX` (the launcher the endpoint builds for the task: srun,
 * mpiexec or mpirun, with its nodes and ranks) before the program. Its tasks need a
 * resourceSpecification (`client.run(..., {resourceSpecification})`, or the Executor's).
 *
 *   new MPIFunction('$PARSL_MPI_PREFIX ./simulate --steps {steps}')
 */
export class MPIFunction extends ShellFunction {
  override get runtime(): 'mpi' {
    return 'mpi';
  }
}
