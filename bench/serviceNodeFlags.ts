/**
 * The node flags a bench starts the service with.
 * - benchServiceNodeFlags: SERVICE_NODE_FLAGS, what `npm start` and the bin pass
 *   (src/cli/serviceNodeFlags.ts), so that the figures are the defaults' figures;
 *   FUNCX_BENCH_SERVICE_FLAGS replaces them (space-separated; empty for none), for a before/after.
 * - extraServiceNodeArgs: FUNCX_BENCH_SERVICE_NODE_ARGS, flags added after those (e.g.
 *   `--cpu-prof --cpu-prof-dir=DIR` to profile the service, `--import FILE` to instrument it).
 */
import { SERVICE_NODE_FLAGS } from '../src/cli/serviceNodeFlags.js';

const words = (value: string) => value.split(' ').filter(Boolean);

export function benchServiceNodeFlags(): string[] {
  const replaced = process.env.FUNCX_BENCH_SERVICE_FLAGS;
  return replaced === undefined ? [...SERVICE_NODE_FLAGS] : words(replaced);
}

export function extraServiceNodeArgs(): string[] {
  return words(process.env.FUNCX_BENCH_SERVICE_NODE_ARGS ?? '');
}
