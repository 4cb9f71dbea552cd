/**
 * What the block executor knows about its blocks, the worker managers on them
 * and the tasks they run: the records the listener, the dispatcher, the block
 * pool and the strategy tick share. Plain data; who changes what is said in
 * each field's owner (blockPool.ts for blocks and managers, dispatcher.ts for
 * tasks and a block's nodes in use).
 */
import type { BlockState } from '../providers/types.js';
import type { TaskOutcome, TaskToRun } from '../execution.js';
import type { LineChannel, AgentMessage, ManagerMessage } from './protocol.js';

/** A task given to run(): waiting for a slot, then on a manager until its outcome settles it. */
export interface BlockTask {
  task: TaskToRun;
  signal: AbortSignal;
  resolve: (outcome: TaskOutcome) => void;
  manager?: WorkerManager;
  onAbort: () => void;
  /** Nodes of its block the task holds while it runs (MPI tasks; 0 for others). */
  nodes: number;
}

/** A worker manager that said hello with the secret, and its connection. */
export interface WorkerManager {
  id: string;
  blockId: string;
  hostname: string;
  slots: number;
  channel: LineChannel<ManagerMessage, AgentMessage>;
  running: Map<string, BlockTask>;
  lastHeardMs: number;
  gone: boolean;
}

export interface Block {
  id: string;
  jobId: string | undefined;
  state: BlockState | 'submitting';
  detail: string | undefined;
  managers: Set<WorkerManager>;
  idleSinceMs: number;
  /** We asked for it to end (scale in, stop): its loss is not a fault. */
  ending: boolean;
  /** When the scheduler first said it runs; cleared once a manager connects. */
  startedAtMs: number | undefined;
  everConnected: boolean;
  /** Nodes held by the MPI tasks running on it. */
  nodesInUse: number;
}

/** Slots of the block's connected managers. */
export function connectedSlots(block: Block): number {
  return [...block.managers].reduce((n, m) => n + m.slots, 0);
}

/** Tasks running on the block's managers. */
export function busySlots(block: Block): number {
  return [...block.managers].reduce((n, m) => n + m.running.size, 0);
}
