/** funcx-ts: the TypeScript SDK of funcX-TS. `import { Client, Executor } from 'funcx-ts'`. */
export { Client, CALL_WAIT_S, type CallOptions, type ClientOptions, type RegisterOptions, type RunOptions, type WaitOptions } from './client.js';
export { Executor, type ExecutorOptions, type RegisteredFunction } from './executor.js';
export { TaskFuture } from './taskFuture.js';
export { Batch, type BatchAddOptions, type BatchTask } from './batch.js';
export { ShellFunction, MPIFunction, type ShellFunctionOptions, type ShellResult } from './shellFunction.js';
export type { PythonFunction, JavaScriptSource, Registrable } from './functionSource.js';
export { FunctionSearchResults, EndpointList } from './resultLists.js';
export { resolveConfig, funcxHome, type ClientConfig, type ClientConfigOptions } from './config.js';
export type { RetryPolicy } from './http.js';
export type { TaskOutput, OutputOptions } from './taskOutput.js';
export * from './errors.js';
export { serviceError, SERVICE_ERROR_CODES } from './serviceError.js';
export type * from './types.js';
