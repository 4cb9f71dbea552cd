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
 */
import { InvalidArgument } from './errors.js';

export interface ShellFunctionOptions {
  /** Seconds after which the command is killed (return code 124). */
  walltime?: number;
  /** The function's name in the registry (default "shell-function"; "mpi-function" for an MPIFunction). */
  name?: string;
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

export class ShellFunction {
  readonly cmd: string;
  readonly walltime?: number;
  readonly name: string;

  constructor(cmd: string, options: ShellFunctionOptions = {}) {
    if (typeof cmd !== 'string' || !cmd.trim()) throw new InvalidArgument('ShellFunction needs a command template');
    if (options.walltime !== undefined && !(options.walltime > 0 && Number.isFinite(options.walltime))) {
      throw new InvalidArgument(`ShellFunction walltime must be a positive number of seconds, not ${options.walltime}`);
    }
    if (options.walltime !== undefined && cmd.split('\n').includes(HEREDOC_END)) {
      throw new InvalidArgument(`a ShellFunction with a walltime cannot contain the line ${HEREDOC_END}`);
    }
    this.cmd = cmd;
    this.walltime = options.walltime;
    this.name = options.name ?? (this.runtime === 'mpi' ? 'mpi-function' : 'shell-function');
  }

  /** The runtime it is registered with. */
  get runtime(): 'shell' | 'mpi' {
    return 'shell';
  }

  /** The template the endpoint runs. */
  get source(): string {
    if (this.walltime === undefined) return this.cmd;
    return `timeout ${this.walltime} /bin/sh -c "$(cat <<'${HEREDOC_END}'\n${this.cmd}\n${HEREDOC_END}\n)"`;
  }
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
