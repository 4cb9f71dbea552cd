/**
 * Starts workers and shell tasks inside containers of the endpoint's engine:
 * names each container (so a kill can end it), labels it with the endpoint's
 * task folder (so leftovers can be found: `podman ps -a --filter
 * label=io.funcx.workdir=...`), and removes it once its worker is gone.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import { mountRoot } from '../packageRoot.js';
import { containerCommand, type ContainerCommand } from './commandLine.js';
import type { ContainerSettings } from './settings.js';

/** podman rm -f of a container that ignores SIGTERM still ends within seconds; past this it is stuck. */
const REMOVE_TIMEOUT_MS = 60_000;

export const WORKER_LABEL = 'io.funcx.worker';
export const WORKDIR_LABEL = 'io.funcx.workdir';

export interface ContainerProcess {
  command: string;
  args: string[];
  /** Ends and removes the container (a no-op for apptainer, and for one already gone). */
  remove(): Promise<void>;
}

export class ContainerLauncher {
  private seq = 0;
  private readonly root = mountRoot();

  constructor(readonly settings: ContainerSettings, private readonly workDir: string, private readonly log: Logger) {}

  /** A long-lived worker (protocol on stdin/stdout) running `argv` in `image`. */
  worker(image: string, argv: string[], env: Record<string, string>): ContainerProcess {
    return this.launch(image, argv, this.workDir, env, true);
  }

  /** One shell command in `image`, in `cwd` (a folder under the task folder). */
  shell(image: string, cmd: string, cwd: string, env: Record<string, string>): ContainerProcess {
    return this.launch(image, ['/bin/sh', '-c', cmd], cwd, env, false);
  }

  private launch(image: string, argv: string[], cwd: string, env: Record<string, string>, worker: boolean): ContainerProcess {
    const name = `funcx-${process.pid}-${++this.seq}-${randomBytes(3).toString('hex')}`;
    const built = containerCommand(this.settings, {
      image,
      argv,
      mounts: [{ path: this.root, readOnly: true }, { path: this.workDir, readOnly: false }],
      cwd,
      env,
      name,
      labels: { [WORKER_LABEL]: '1', [WORKDIR_LABEL]: this.workDir },
      worker,
    });
    let removing: Promise<void> | undefined;
    return {
      command: built.command,
      args: built.args,
      remove: () => (removing ??= this.remove(built, name)),
    };
  }

  private remove(built: ContainerCommand, name: string): Promise<void> {
    const remove = built.remove;
    if (!remove) return Promise.resolve();
    return new Promise((resolve) => {
      execFile(remove.command, remove.args, { timeout: REMOVE_TIMEOUT_MS }, (error, _stdout, stderr) => {
        // Already gone (its --rm got there first) is the common case, not a problem; a missing
        // engine was reported when the worker could not start.
        if (error && (error as NodeJS.ErrnoException).code !== 'ENOENT' && !/no such container|no container with name/i.test(String(stderr))) {
          this.log.warn({ container: name, err: error.message, stderr: String(stderr).trim() }, 'could not remove a worker container');
        }
        resolve();
      });
    });
  }
}
