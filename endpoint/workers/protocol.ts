/**
 * The messages between the agent and a long-lived worker process (python or
 * node), one JSON object per line: requests on the worker's fd 3, messages
 * back on its fd 4. stdout and stderr are never part of the protocol because
 * the user's code prints there.
 */
import type { RemoteException, Serializer } from '../execution.js';

export const REQUESTS_FD = 3;
export const REPLIES_FD = 4;

export interface WorkerRequest {
  task_id: string;
  function_id: string;
  source: string;
  entry_point: string | null;
  /** 'globus-compute': source is the upstream SDKs' packed function_code. */
  code_serializer?: 'globus-compute';
  payload: string;
  serializer: Serializer;
  /** Environment variables set for this call only (python), then restored. */
  env?: Record<string, string>;
  /** python: send what the call prints to sys.stdout/sys.stderr as output messages while it runs (live output). */
  stream_output?: boolean;
}

/** Sent once when the worker is ready to take requests. */
export interface ReadyMessage {
  type: 'ready';
  pid: number;
}

/** Exactly one per request, in order. */
export interface ReplyMessage {
  type: 'reply';
  task_id: string;
  status: 'success' | 'failed';
  result?: string;
  exception?: RemoteException;
  /** The function came from the worker's cache: nothing was compiled for this call. */
  cached: boolean;
}

/** Text the running call printed (stdout and stderr, in order); only with stream_output, always before its reply. */
export interface OutputMessage {
  type: 'output';
  task_id: string;
  text: string;
}

export type WorkerMessage = ReadyMessage | ReplyMessage | OutputMessage;
