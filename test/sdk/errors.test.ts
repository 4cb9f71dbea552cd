/** The SDK's typed errors cover every code the service can answer with, and bad arguments fail before any request. */
import test from 'ava';
import { ERROR_CODES } from '../../src/errors.js';
import { Batch, InvalidArgument, SERVICE_ERROR_CODES, ServiceError, ShellFunction, TaskNotFound, serviceError } from '../../sdk/index.js';
import { functionDefinition } from '../../sdk/functionSource.js';

test('every service error code has its SDK class, named as the code', (t) => {
  t.deepEqual([...SERVICE_ERROR_CODES].sort(), [...ERROR_CODES].sort());
  const error = serviceError(404, { code: 'TaskNotFound', reason: 'task x not found', http_status_code: 404 }, 'req-1');
  t.true(error instanceof TaskNotFound && error instanceof ServiceError);
  t.like(error, { code: 'TaskNotFound', name: 'TaskNotFound', status: 404, reason: 'task x not found', requestId: 'req-1' });
  // An unknown code, or a body that is not the error shape, is still a ServiceError with the status.
  t.like(serviceError(418, { code: 'Teapot', reason: 'short and stout' }), { code: 'Teapot', status: 418 });
  t.like(serviceError(502, '<html>bad gateway</html>'), { code: 'HTTP502', reason: '<html>bad gateway</html>' });
});

test('functions that cannot run remotely are refused at registration, with the reason', (t) => {
  const object = { double(x: number) { return 2 * x; } };
  t.throws(() => functionDefinition(object.double), { instanceOf: InvalidArgument, message: /method shorthand/ });
  t.throws(() => functionDefinition(Math.max), { instanceOf: InvalidArgument, message: /native or bound/ });
  t.throws(() => functionDefinition(class Foo {}), { instanceOf: InvalidArgument, message: /class/ });
  t.throws(() => functionDefinition({ runtime: 'python', source: 'def f(): pass', entryPoint: '' }), { message: /needs an entryPoint/ });
  t.like(functionDefinition(function double(x: number) { return 2 * x; }), { runtime: 'javascript', name: 'double', entry_point: undefined });
  t.like(functionDefinition(new ShellFunction('echo {0}')), { runtime: 'shell', source: 'echo {0}' });
  t.throws(() => new ShellFunction('echo', { walltime: -1 }), { message: /walltime must be a positive number/ });
  t.throws(() => new Batch().add(1, { functionId: 'f' }), { message: /no endpointId/ });
});
