/**
 * Many invocations sent in one request (`Client.batchRun`), across functions
 * and endpoints, as funcX's create_batch / batch.add / batch_run.
 */
import { InvalidArgument } from './errors.js';
import { encodePayload } from './serialization.js';
import type { ResourceSpecification } from './types.js';

export interface BatchAddOptions {
  functionId: string;
  /** Default: the Batch's endpoint (from `createBatch({endpointId})` or the configured default). */
  endpointId?: string;
  kwargs?: Record<string, unknown>;
  /** Nodes and MPI ranks (required for an MPIFunction). */
  resourceSpecification?: ResourceSpecification;
}

/** One task of a `POST /v3/submit` (Client.submitTasks). */
export interface BatchTask {
  endpoint_id: string;
  function_id: string;
  payload: string;
  serializer: 'json';
  resource_specification?: ResourceSpecification;
  /** On a multi-user endpoint: the settings of the per-user endpoint (docs/multi-user-endpoints.md). */
  user_endpoint_config?: Record<string, unknown>;
}

export class Batch {
  readonly tasks: BatchTask[] = [];

  constructor(readonly defaultEndpointId?: string) {}

  /** Adds one invocation: `batch.add(x, y, {functionId, endpointId})`. Returns the batch, for chaining. */
  add(...argsAndOptions: [...args: unknown[], options: BatchAddOptions]): this {
    const options = argsAndOptions.at(-1) as BatchAddOptions | undefined;
    if (!options || typeof options !== 'object' || typeof options.functionId !== 'string') {
      throw new InvalidArgument('batch.add(...args, {functionId, endpointId?, kwargs?}): the last argument names the function');
    }
    const endpointId = options.endpointId ?? this.defaultEndpointId;
    if (!endpointId) throw new InvalidArgument('batch.add: no endpointId given and the batch has no default endpoint');
    this.tasks.push({
      endpoint_id: endpointId,
      function_id: options.functionId,
      payload: encodePayload(argsAndOptions.slice(0, -1), options.kwargs),
      serializer: 'json',
      ...(options.resourceSpecification ? { resource_specification: options.resourceSpecification } : {}),
    });
    return this;
  }

  get length(): number {
    return this.tasks.length;
  }
}
