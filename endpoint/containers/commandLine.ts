/**
 * The command lines that start a worker (or a shell task) inside a container,
 * one template per engine (documented in docs/hpc.md):
 *
 *   podman|docker run --rm [-i] --name NAME --label ... -v ROOT:ROOT:ro -v WORK:WORK -w CWD
 *                     [-e K=V ...] OPTIONS... IMAGE ARGV...
 *   apptainer exec --bind ROOT:ROOT:ro --bind WORK:WORK --pwd CWD OPTIONS... IMAGE ARGV...
 *
 * ROOT is the funcX package (the worker scripts), mounted read-only at the same
 * path so the worker's arguments need no rewriting; WORK is the endpoint's task
 * folder. Workers speak their protocol on fds 3 and 4, which no engine but
 * apptainer passes in; stdin and stdout are what every engine passes (`-i`), so
 * a worker's argv is prefixed with a /bin/sh shim that moves the protocol there
 * and sends the user's prints to stderr.
 */
import type { ContainerSettings } from './settings.js';

/** Requests arrive on stdin, replies leave on stdout; the user's code gets /dev/null and stderr. */
export const STDIO_SHIM = 'exec 3<&0 4>&1 1>&2 0</dev/null; exec "$@"';

export interface ContainerRun {
  image: string;
  /** What runs inside. */
  argv: string[];
  /** Host folders mounted at the same path. */
  mounts: { path: string; readOnly: boolean }[];
  cwd: string;
  /** Variables set inside (podman, docker: only these; apptainer also passes the host's). */
  env: Record<string, string>;
  /** The container's name (podman, docker): what `rm -f` ends it by. */
  name: string;
  labels: Record<string, string>;
  /** A worker: its protocol runs over stdin/stdout (the shim), so stdin stays attached. */
  worker: boolean;
}

export interface ContainerCommand {
  command: string;
  args: string[];
  /**
   * podman, docker: ends and removes the container. Killing the engine's client
   * does not end the container (its monitor, conmon or dockerd, holds it), so
   * every kill runs this too. apptainer: none (its processes are our children).
   */
  remove?: { command: string; args: string[] };
}

export function containerCommand(settings: ContainerSettings, run: ContainerRun): ContainerCommand {
  const inner = run.worker ? ['/bin/sh', '-c', STDIO_SHIM, 'funcx-worker', ...run.argv] : run.argv;
  if (settings.type === 'apptainer') {
    return {
      command: settings.executable,
      args: [
        'exec',
        ...run.mounts.flatMap((m) => ['--bind', `${m.path}:${m.path}${m.readOnly ? ':ro' : ''}`]),
        '--pwd', run.cwd,
        ...Object.entries(run.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
        ...settings.options,
        run.image,
        ...inner,
      ],
    };
  }
  return {
    command: settings.executable,
    args: [
      'run', '--rm',
      ...(run.worker ? ['-i'] : []),
      '--name', run.name,
      ...Object.entries(run.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      ...run.mounts.flatMap((m) => ['-v', `${m.path}:${m.path}${m.readOnly ? ':ro' : ''}`]),
      '-w', run.cwd,
      ...Object.entries(run.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      ...settings.options,
      run.image,
      ...inner,
    ],
    // podman's rm -f would wait 10 s for a SIGTERM that PID 1 ignores; -t 0 kills at once.
    remove: { command: settings.executable, args: settings.type === 'podman' ? ['rm', '-f', '-t', '0', run.name] : ['rm', '-f', run.name] },
  };
}
