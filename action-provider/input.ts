/**
 * The run body, in either form Globus Compute users send, as a list of tasks:
 *   V3  {endpoint_id, tasks: [{function_id, args, kwargs}]}
 *   V2  {endpoint, function, args, kwargs|payload} and/or {tasks: [{endpoint, function, args, kwargs|payload}]}
 * Each task becomes a ledger task with the `json` serializer: {args, kwargs} as JSON text.
 */
import type { Validator, NewTask, ResourceSpecification } from '../src/forParts.js';
import { RequestValidationError } from './errors.js';
import { checkSchema } from './validation.js';
import { INPUT_SCHEMA_ID } from './description.js';
import type { ActionInputV3 } from '@funcx-ts/shared/wire/action-provider-input.js';

export interface PlannedTask {
  endpointId: string;
  functionId: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  /** Nodes and MPI ranks (checked with every submit in src/http/submission.ts). */
  resourceSpecification?: ResourceSpecification;
}

interface V2Task {
  endpoint: string;
  function: string;
  args?: unknown;
  kwargs?: Record<string, unknown> | string;
  payload?: Record<string, unknown> | string;
  resource_specification?: ResourceSpecification;
}

type V2Input = Partial<V2Task> & { tasks?: V2Task[] };

export function planTasks(validator: Validator, body: Record<string, unknown>): PlannedTask[] {
  if ('endpoint_id' in body) {
    const input = checkSchema<ActionInputV3>(validator, `${INPUT_SCHEMA_ID}#/definitions/v3`, body, 'body');
    return input.tasks.map((task) => ({
      endpointId: input.endpoint_id.toLowerCase(),
      functionId: task.function_id.toLowerCase(),
      args: task.args ?? [],
      kwargs: (task.kwargs ?? {}) as Record<string, unknown>,
      ...(task.resource_specification ? { resourceSpecification: task.resource_specification } : {}),
    }));
  }
  const input = checkSchema<V2Input>(validator, `${INPUT_SCHEMA_ID}#/definitions/v2`, body, 'body');
  const tasks: { task: V2Task; field: string }[] = [];
  if (input.function !== undefined) tasks.push({ task: input as V2Task, field: 'body' });
  (input.tasks ?? []).forEach((task, i) => tasks.push({ task, field: `body.tasks[${i}]` }));
  return tasks.map(({ task, field }) => ({
    endpointId: task.endpoint.toLowerCase(),
    functionId: task.function.toLowerCase(),
    args: v2Args(task.args),
    kwargs: v2Kwargs(task, field),
    ...(task.resource_specification ? { resourceSpecification: task.resource_specification } : {}),
  }));
}

/** A list as is; a string holding a JSON list (V2 clients sent JSON text); any other value is one argument. */
function v2Args(args: unknown): unknown[] {
  if (args === undefined) return [];
  if (Array.isArray(args)) return args;
  if (typeof args === 'string') {
    const parsed = tryJson(args);
    if (Array.isArray(parsed)) return parsed;
  }
  return [args];
}

function v2Kwargs(task: V2Task, field: string): Record<string, unknown> {
  if (task.kwargs !== undefined && task.payload !== undefined) {
    throw new RequestValidationError(`Field '${field}.payload' is the older name of kwargs: give one of kwargs and payload, not both`);
  }
  const [value, name] = task.kwargs !== undefined ? [task.kwargs, 'kwargs'] : [task.payload, 'payload'];
  if (value === undefined) return {};
  if (typeof value !== 'string') return value;
  const parsed = tryJson(value);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RequestValidationError(`Field '${field}.${name}' must be an object, or a string holding a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The ledger's view of a planned task: a json-serialized {args, kwargs} payload. */
export function toLedgerTask(task: PlannedTask): NewTask {
  return { endpointId: task.endpointId, functionId: task.functionId, payload: JSON.stringify({ args: task.args, kwargs: task.kwargs }), serializer: 'json', resourceSpecification: task.resourceSpecification };
}
