/**
 * The node flags a bench starts the service with: SERVICE_NODE_FLAGS, what `npm start` and the bin
 * pass (src/cli/serviceNodeFlags.ts), so that the figures are the defaults' figures.
 * FUNCX_BENCH_SERVICE_FLAGS replaces them (space-separated; empty for none), for a before/after.
 */
import { SERVICE_NODE_FLAGS } from '../src/cli/serviceNodeFlags.js';

export function benchServiceNodeFlags(): string[] {
  const replaced = process.env.FUNCX_BENCH_SERVICE_FLAGS;
  return replaced === undefined ? [...SERVICE_NODE_FLAGS] : replaced.split(' ').filter(Boolean);
}
