/** The provider an endpoint's config names. */
import { LocalProvider } from './local.js';
import { SlurmProvider } from './slurm.js';
import { PbsProvider } from './pbs.js';
import { GridEngineProvider } from './gridengine.js';
import type { ProviderSettings } from './settings.js';
import type { ExecutionProvider } from './types.js';

/** `mpi`: blocks run MPI tasks, so each block is one manager on its whole nodes (the launcher reaches the others). */
export function createProvider(settings: ProviderSettings, endpointName: string, options: { mpi?: boolean } = {}): ExecutionProvider {
  if (settings.type === 'slurm') {
    const slurm = options.mpi ? { ...settings.slurm, launcher: 'none' as const, exclusive: true } : settings.slurm;
    return new SlurmProvider(slurm, settings.blocks, `funcx-${endpointName}`);
  }
  // MPI blocks on PBS: one manager; the tasks' launchers reach the other nodes ($PBS_NODEFILE).
  if (settings.type === 'pbs') return new PbsProvider(options.mpi ? { ...settings.pbs, launcher: 'none' } : settings.pbs, settings.blocks, `funcx-${endpointName}`);
  if (settings.type === 'gridengine') return new GridEngineProvider(settings.gridengine, settings.blocks, `funcx-${endpointName}`);
  return new LocalProvider();
}
