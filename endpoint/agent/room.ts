/**
 * How many more tasks the agent may lease: room = capacity + prefetch - tasks queued or running,
 * so the endpoint never holds more than it can start soon. Capacity is max_workers, or, with
 * blocks, what the block executor offers (connected slots and blocks on their way). `prefetch:
 * auto` (the default) sizes the prefetch from observed task durations and round trips
 * (prefetch.ts).
 */
import type { EndpointSettings } from '../config.js';
import type { Executor } from '../execution.js';
import { PrefetchTuner } from '../prefetch.js';
import type { HeldTasks } from './heldTasks.js';

export class Room {
  /** Hears task durations and result round trips (prefetch: auto). */
  readonly tuner = new PrefetchTuner();

  constructor(private readonly deps: { executor: Executor; settings: EndpointSettings; held: HeldTasks }) {}

  /** Tasks to lease now (zero or less: none). */
  free(): number {
    return this.capacity() + this.prefetch() - this.deps.held.occupied();
  }

  capacity(): number {
    return this.deps.executor.capacity?.() ?? this.deps.settings.maxWorkers;
  }

  /** Tasks to hold beyond capacity: configured, or (auto) what the tuner wants now. */
  prefetch(): number {
    const configured = this.deps.settings.prefetch;
    if (configured !== 'auto') return configured;
    return this.tuner.prefetch(this.capacity(), this.deps.held.runningAges(performance.now()));
  }
}
