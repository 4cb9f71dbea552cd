/**
 * What the route table cannot say about a route: a summary, its success status
 * and the schema (a file in schemas/) of that answer, and the error codes it
 * may answer with beyond those every route shares (see document.ts). Shapes
 * live only in schemas/; this file names them. Keys are "METHOD /template";
 * Action Provider routes are keyed relative to its base path ("AP POST /run").
 * A route missing here is still in the document (from the route table) with a
 * generic answer; test/openapi/ lists such routes so they get an entry.
 */
import { actionProviderPart } from '../../action-provider/index.js';

export interface Annotation {
  summary: string;
  /** Success status (default 200) and its body's schema, if it has one in schemas/. */
  status?: number;
  /** Several: the answer matches one of them. */
  response?: string | string[];
  /** Request body schema for routes that check it inside the handler (the Action Provider). */
  body?: string;
  errors?: string[];
  /** Not JSON: the answer's media type. */
  produces?: string;
  /** Auth the route table cannot see (the Action Provider authenticates in its handlers). */
  auth?: 'user' | 'optional-user' | 'metrics-token' | 'none';
}

const FN = ['FunctionNotFound'];
const EP = ['EndpointNotFound'];

export const ANNOTATIONS: Record<string, Annotation> = {
  // --- meta
  'GET /v2/version': { summary: 'Service and API version, auth mode and login hints', response: 'version.json' },
  'GET /healthz': { summary: 'Liveness: the process answers and the database answers SELECT 1' },
  'GET /readyz': { summary: 'Readiness: the database answers and every migration of this build is applied' },
  'GET /metrics': { summary: 'Prometheus metrics (FUNCX_METRICS: off, open, or Bearer FUNCX_METRICS_TOKEN); docs/metrics.md', produces: 'text/plain; version=0.0.4', auth: 'metrics-token', errors: ['RouteNotFound'] },
  'GET /openapi.json': { summary: 'This document', auth: 'none' },
  'GET /docs': { summary: 'This document, readable (HTML)', produces: 'text/html', auth: 'none' },
  'GET /docs/{asset}': { summary: 'The readable reference\'s stylesheet (style.css)', produces: 'text/css', auth: 'none', errors: ['RouteNotFound'] },
  // --- functions
  'POST /v3/functions': { summary: 'Register a function (also in globus-compute-sdk 3.x/4.x\'s form: upstream-function-register-v3.json)', status: 201, response: 'function-register-response.json', errors: ['UpstreamOptionUnsupported'] },
  'GET /v3/functions': { summary: 'Search functions the caller may see', response: 'function-search-response.json' },
  'GET /v2/functions/{function_id}': { summary: 'Read a function', response: 'function.json', errors: FN },
  'GET /v3/functions/{function_id}': { summary: 'Read a function', response: 'function.json', errors: FN },
  'PUT /v3/functions/{function_id}': { summary: 'Update a function (owner)', response: 'function.json', errors: [...FN, 'FunctionAccessForbidden'] },
  'DELETE /v2/functions/{function_id}': { summary: 'Delete a function (owner)', errors: [...FN, 'FunctionAccessForbidden'] },
  'DELETE /v3/functions/{function_id}': { summary: 'Delete a function (owner)', errors: [...FN, 'FunctionAccessForbidden'] },
  // --- endpoints
  'POST /v3/endpoints': { summary: 'Register an endpoint; answers its credential (also in globus-compute-sdk 3.x/4.x\'s form: upstream-endpoint-register.json)', status: 201, response: 'endpoint-register-response.json', errors: ['UpstreamOptionUnsupported'] },
  'PUT /v3/endpoints/{endpoint_id}': { summary: 'Re-register an endpoint (new credential) or register under a chosen id (also in globus-compute-sdk 3.x/4.x\'s form)', response: 'endpoint-register-response.json', errors: [...EP, 'EndpointAccessForbidden', 'UpstreamOptionUnsupported'] },
  'GET /v3/endpoints': { summary: 'List endpoints by role', response: 'endpoint-list-response.json' },
  'GET /v2/endpoints/{endpoint_id}': { summary: 'Read an endpoint', response: 'endpoint.json', errors: EP },
  'GET /v3/endpoints/{endpoint_id}': { summary: 'Read an endpoint', response: 'endpoint.json', errors: EP },
  'GET /v2/endpoints/{endpoint_id}/status': { summary: 'Endpoint status and recent heartbeats', response: 'endpoint-status.json', errors: EP },
  'GET /v3/endpoints/{endpoint_id}/status': { summary: 'Endpoint status and recent heartbeats', response: 'endpoint-status.json', errors: EP },
  'GET /v3/endpoints/{endpoint_id}/activity': { summary: 'The endpoint\'s recent minutes for charts: workers busy and idle, tasks queued, finished and failed', response: 'endpoint-activity.json', errors: [...EP, 'EndpointAccessForbidden'] },
  'DELETE /v2/endpoints/{endpoint_id}': { summary: 'Delete an endpoint (owner); its unfinished tasks fail', errors: [...EP, 'EndpointAccessForbidden'] },
  'DELETE /v3/endpoints/{endpoint_id}': { summary: 'Delete an endpoint (owner); its unfinished tasks fail', errors: [...EP, 'EndpointAccessForbidden'] },
  'DELETE /v3/endpoints/{endpoint_id}/credential': { summary: 'Revoke the endpoint\'s credential (owner)', errors: [...EP, 'EndpointAccessForbidden'] },
  'GET /v3/endpoints/{endpoint_id}/allowed_functions': { summary: 'Functions allowed on the endpoint', response: 'allowed-functions.json', errors: EP },
  'PUT /v3/endpoints/{endpoint_id}/allowed_functions': { summary: 'Set the functions allowed on the endpoint (owner)', response: 'allowed-functions.json', errors: [...EP, 'EndpointAccessForbidden'] },
  // --- tasks
  'POST /v3/endpoints/{endpoint_id}/submit': { summary: 'Submit tasks to one endpoint (also in the upstream SDKs\' form)', response: 'task-submit-response.json', errors: [...EP, ...FN, 'EndpointAccessForbidden', 'FunctionNotPermitted', 'TaskPayloadTooLarge', 'BatchRunTooLarge', 'IdempotencyKeyReused', 'UpstreamOptionUnsupported'] },
  'POST /v3/submit': { summary: 'Submit a batch across endpoints and functions', response: 'batch-submit-response.json', errors: [...EP, ...FN, 'EndpointAccessForbidden', 'FunctionNotPermitted', 'TaskPayloadTooLarge', 'BatchRunTooLarge', 'IdempotencyKeyReused'] },
  // A task submitted through the upstream SDKs' /v2/submit is shown in their shape.
  'GET /v2/tasks/{task_id}': { summary: 'Read a task (submitter)', response: ['task.json', 'upstream-task.json'], errors: ['TaskNotFound'] },
  'GET /v3/tasks/{task_id}': { summary: 'Read a task (submitter)', response: ['task.json', 'upstream-task.json'], errors: ['TaskNotFound'] },
  'POST /v2/batch_status': { summary: 'Read many tasks', response: 'batch-status-response.json' },
  'POST /v3/tasks/wait': { summary: 'Long-poll until tasks finish', response: 'task-wait-response.json' },
  'GET /v2/taskgroup/{task_group_id}': { summary: 'A task group\'s tasks, paged', response: 'task-group.json', errors: ['TaskGroupNotFound'] },
  'POST /v3/tasks/{task_id}/cancel': { summary: 'Cancel a task', response: 'task.json', errors: ['TaskNotFound', 'TaskAlreadyFinished'] },
  'GET /v3/tasks/{task_id}/output': { summary: 'Live output (stdout and stderr) of a task from an offset; long-polls up to wait seconds', response: 'task-output.json', errors: ['TaskNotFound'] },
  'POST /v3/task_groups/{task_group_id}/cancel': { summary: 'Cancel every unfinished task of a task group', response: 'task-group-cancel-response.json', errors: ['TaskGroupNotFound'] },
  'GET /v3/tasks': { summary: 'The caller\'s tasks, newest first, keyset-paged (summaries only)', response: 'task-list-response.json', errors: ['InvalidCursor', 'InvalidTimeBound'] },
  'GET /v3/endpoints/{endpoint_id}/tasks': { summary: 'Tasks on an endpoint from every user, for its owner (summaries only: no payloads or results)', response: 'task-list-response.json', errors: [...EP, 'EndpointAccessForbidden', 'InvalidCursor', 'InvalidTimeBound'] },
  // --- endpoint protocol
  'POST /v3/endpoints/{endpoint_id}/lease': { summary: 'Endpoint: lease waiting tasks (long-poll)', response: 'endpoint-lease-response.json', errors: ['EndpointAccessForbidden'] },
  'POST /v3/endpoints/{endpoint_id}/results': { summary: 'Endpoint: post results, exactly once per lease', response: 'endpoint-results-response.json', errors: ['EndpointAccessForbidden'] },
  'POST /v3/endpoints/{endpoint_id}/heartbeat': { summary: 'Endpoint: report status and renew leases', response: 'endpoint-heartbeat-response.json', errors: ['EndpointAccessForbidden'] },
  'POST /v3/endpoints/{endpoint_id}/state': { summary: 'Endpoint: say why the agent is going away (offline: stopped cleanly, by whom; failed: its fatal error)', response: 'endpoint-state-report-response.json', errors: ['EndpointAccessForbidden'] },
  'POST /v3/endpoints/{endpoint_id}/output': { summary: 'Endpoint: what running tasks printed since its last post (live output)', response: 'endpoint-output-response.json', errors: ['EndpointAccessForbidden'] },
  'POST /v3/endpoints/{endpoint_id}/cancels': { summary: 'Endpoint: long-poll until one of the tasks it holds is cancelled', response: 'endpoint-cancels-response.json', errors: ['EndpointAccessForbidden'] },
  'POST /v3/endpoints/{endpoint_id}/release': { summary: 'Endpoint: hand leases back', errors: ['EndpointAccessForbidden'] },
  'POST /v3/endpoints/{endpoint_id}/polls/end': { summary: 'Endpoint: end its agent session\'s waiting lease poll now (stopping)', response: 'lease-polls-end-response.json', errors: ['EndpointAccessForbidden'] },
  'POST /v3/endpoints/{endpoint_id}/reconcile': { summary: 'Endpoint: the leases an agent holds; its sessions\' (this run\'s, its previous run\'s) others return to the queue, attempt not counted; other sessions\' leases are untouched', response: 'lease-reconcile-response.json', errors: ['EndpointAccessForbidden'] },
  'POST /v3/endpoints/{endpoint_id}/user_demand': { summary: 'Multi-user endpoint: submitters with waiting tasks', response: 'user-demand-response.json', errors: ['EndpointAccessForbidden'] },
  'POST /v3/endpoints/{endpoint_id}/user_endpoints': { summary: 'Multi-user endpoint: register a per-user endpoint', status: 201, response: 'user-endpoint-create-response.json', errors: ['EndpointAccessForbidden'] },
  'POST /v3/endpoints/{endpoint_id}/user_demand/fail': { summary: 'Multi-user endpoint: fail a submitter\'s waiting tasks', errors: ['EndpointAccessForbidden'] },
  // --- upstream SDK compatibility (docs/upstream-sdks.md)
  'POST /v2/functions': { summary: 'Upstream SDK: register a function', errors: ['UpstreamOptionUnsupported'] },
  'POST /v2/submit': { summary: 'Upstream SDK: submit', response: 'upstream-submit-v2-response.json', errors: [...EP, ...FN, 'EndpointAccessForbidden', 'FunctionNotPermitted', 'TaskPayloadTooLarge', 'BatchRunTooLarge', 'UpstreamOptionUnsupported'] },
  'GET /v2/endpoints': { summary: 'Upstream SDK: the caller\'s endpoints', response: 'upstream-endpoint-list.json' },
  'POST /v2/endpoints/{endpoint_id}/lock': { summary: 'Upstream SDK: lock an endpoint (revokes its credential)', response: 'upstream-endpoint-lock-response.json', errors: [...EP, 'EndpointAccessForbidden'] },
  'POST /v3/endpoints/{endpoint_id}/lock': { summary: 'globus-compute-sdk 3.x/4.x stop_endpoint: lock an endpoint (revokes its credential)', response: 'upstream-endpoint-lock-response.json', errors: [...EP, 'EndpointAccessForbidden'] },
  'GET /v2/get_amqp_result_connection_url': { summary: 'Upstream SDK: AMQP result stream (not offered)', errors: ['AmqpNotConfigured'] },
  // --- web console
  'GET /console': { summary: 'The web console (single-page app; docs/console.md)', produces: 'text/html', auth: 'none' },
  'GET /console/{asset}': { summary: 'Assets of the web console', produces: 'application/octet-stream', auth: 'none', errors: ['RouteNotFound'] },
  // --- Action Provider: its own notes (action-provider/openapi.ts), keyed relative to FUNCX_ACTION_PROVIDER_BASE_PATH
  ...Object.fromEntries(Object.entries(actionProviderPart.annotations).map(([key, note]) => [`AP ${key}`, note])),
};
