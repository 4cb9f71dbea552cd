/** The SDK's typed errors cover every code the service can answer with, and bad arguments fail before any request. */
import test from 'ava';
import * as serviceCatalogue from '@funcx-ts/shared/errors.js';
import * as sdk from '../../sdk/index.js';
import { Batch, InvalidArgument, SERVICE_ERROR_CODES, ServiceError, ShellFunction, TaskNotFound, serviceError } from '../../sdk/index.js';
import { functionDefinition } from '../../sdk/functionSource.js';

/** Every error class the service's error middleware may answer with: each subclass of the catalogue's base. */
function serviceErrorClasses(): { code: string; status: number }[] {
  return Object.values(serviceCatalogue)
    .filter((value): value is typeof serviceCatalogue.RouteNotFound => typeof value === 'function' && value.prototype instanceof serviceCatalogue.FuncxError)
    .map((ErrorClass) => {
      const instance = new ErrorClass('probe');
      return { code: instance.code, status: instance.status };
    });
}

test('every code the service can answer is in its catalogue and maps to the SDK class of that name', (t) => {
  const answered = serviceErrorClasses();
  t.true(answered.length >= 29, `the service's error classes: ${answered.length}`);
  t.deepEqual(answered.map((e) => e.code).sort(), [...serviceCatalogue.ERROR_CODES].sort(), 'a service error class missing from ERROR_CLASSES (or listed without being one)');
  t.deepEqual([...SERVICE_ERROR_CODES].sort(), [...serviceCatalogue.ERROR_CODES].sort());
  for (const { code, status } of answered) {
    const error = serviceError(status, { code, reason: `a ${code}`, http_status_code: status }, 'req-1');
    const SdkClass = (sdk as Record<string, unknown>)[code];
    t.is(typeof SdkClass, 'function', `the SDK exports no class ${code}`);
    t.is(error.constructor as unknown, SdkClass, `${code} answered: the SDK threw ${error.constructor.name}`);
    t.true(error instanceof ServiceError && error instanceof sdk.FuncxError, code);
    t.like(error, { code, name: code, status, reason: `a ${code}`, requestId: 'req-1' });
  }
});

test('an unknown code or a body that is not the error shape is a plain ServiceError with the status', (t) => {
  const error = serviceError(404, { code: 'TaskNotFound', reason: 'task x not found', http_status_code: 404 }, 'req-1');
  t.true(error instanceof TaskNotFound && error instanceof ServiceError);
  t.like(serviceError(418, { code: 'Teapot', reason: 'short and stout' }), { code: 'Teapot', status: 418 });
  t.like(serviceError(502, '<html>bad gateway</html>'), { code: 'HTTP502', reason: '<html>bad gateway</html>' });
  // Names the SDK exports that are not service codes, and Object.prototype's, pick no class.
  for (const code of ['TaskPending', 'ServiceUnreachable', 'serviceError', 'constructor', 'toString', '__proto__']) {
    const odd = serviceError(500, { code, reason: 'odd' });
    t.is(odd.constructor, ServiceError, code);
    t.like(odd, { code, status: 500 });
  }
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
