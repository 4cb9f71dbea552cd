/**
 * An endpoint's `mpi:` setting: how MPI tasks' launcher prefix is built (docs/hpc.md). Its
 * defaults (mpiexec, openmpi, no options) are the schema's, filled in before this reads it.
 */
import type { EndpointConfig } from '@funcx-ts/shared/wire/endpoint-config.js';
import type { MpiSettings } from './launcher.js';

/** null: tasks with a resource_specification (and mpi functions) are refused. */
export function parseMpiSettings(config: EndpointConfig['mpi']): MpiSettings | null {
  if (!config) return null;
  return { launcher: config.launcher!, flavor: config.flavor!, options: config.options! };
}
