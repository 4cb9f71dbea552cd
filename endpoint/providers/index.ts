/** The provider an endpoint's config names. */
import { LocalProvider } from './local.js';
import { SlurmProvider } from './slurm.js';
import type { ProviderSettings } from './settings.js';
import type { ExecutionProvider } from './types.js';

export function createProvider(settings: ProviderSettings, endpointName: string): ExecutionProvider {
  if (settings.type === 'slurm') return new SlurmProvider(settings.slurm, settings.blocks, `funcx-${endpointName}`);
  return new LocalProvider();
}
