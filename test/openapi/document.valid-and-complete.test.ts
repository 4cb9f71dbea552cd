/**
 * The OpenAPI document: valid OpenAPI 3.1 to a maintained parser
 * (@readme/openapi-parser), the same as the service serves, and in step with
 * the route table of the app itself (src/openapi/routeTable.ts), both ways:
 * every route the routers serve is documented with a summary, a success answer
 * and its errors; every documented operation is served (a live request to it is
 * never "no such route"). Routes added later are covered without editing this test.
 */
import test from 'ava';
import { validate, compileErrors } from '@readme/openapi-parser';
import { appRoutes } from '../../src/openapi/appRoutes.js';
import { ANNOTATIONS } from '../../src/openapi/annotations.js';
import { annotationKey } from '../../src/openapi/document.js';
import { builtDocument } from '../helpers/openapi.js';
import { serviceTest } from '../helpers/service.js';

type Operation = { summary: string; responses: Record<string, { 'x-error-codes'?: string[] }>; 'x-undocumented'?: boolean; requestBody?: unknown };

test('the built document is valid OpenAPI 3.1 to @readme/openapi-parser', async (t) => {
  const document = builtDocument();
  t.is((document as unknown as { openapi: string }).openapi, '3.1.0');
  const result = await validate(structuredClone(document) as never);
  t.true(result.valid, result.valid ? '' : compileErrors(result));
});

test('every route the app serves is in the document with an annotation, and every documented operation is a route', async (t) => {
  const { routes, actionProviderPrefix } = await appRoutes();
  const document = builtDocument() as unknown as { paths: Record<string, Record<string, Operation>> };
  const served = new Set(routes.map((r) => `${r.method} ${r.template}`));
  const documented = new Set(Object.entries(document.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
  t.deepEqual([...served].filter((r) => !documented.has(r)), [], 'served but not documented');
  t.deepEqual([...documented].filter((r) => !served.has(r)), [], 'documented but not served');
  // Each has its own entry in src/openapi/annotations.ts (summary, answer, errors), not the generic one.
  const unannotated = routes.filter((r) => !ANNOTATIONS[annotationKey(r, actionProviderPrefix)]).map((r) => `${r.method} ${r.template}`);
  t.deepEqual(unannotated, [], 'add these to src/openapi/annotations.ts');
  const stale = Object.keys(ANNOTATIONS).filter((key) => !routes.some((r) => annotationKey(r, actionProviderPrefix) === key));
  t.deepEqual(stale, [], 'annotations for routes that do not exist');
});

test('error codes: each route lists its own and the shared ones, under their class\'s status', (t) => {
  const document = builtDocument() as unknown as { paths: Record<string, Record<string, Operation>> };
  const submit = document.paths['/v3/endpoints/{endpoint_id}/submit'].post;
  t.deepEqual(submit.responses['404']['x-error-codes'], ['EndpointNotFound', 'FunctionNotFound']);
  t.deepEqual(submit.responses['413']['x-error-codes'], ['BatchRunTooLarge', 'RequestBodyTooLarge', 'TaskPayloadTooLarge']);
  t.true(submit.responses['401']['x-error-codes']!.includes('UserUnauthenticated'));
  t.deepEqual(document.paths['/v3/endpoints/{endpoint_id}/lease'].post.responses['401']['x-error-codes'], ['EndpointCredentialInvalid']);
  t.deepEqual(document.paths['/actions/run'].post.responses['409']['x-error-codes'], ['ActionConflict']);
  t.truthy(document.paths['/actions/run'].post.requestBody);
});

serviceTest('the service serves the built document, /docs renders every operation of it without scripts, and every documented operation is routed', async (t, live) => {
  const served = await (await fetch(`${live.url}/openapi.json`)).json() as { paths: Record<string, Record<string, Operation>> };
  t.deepEqual(served, builtDocument() as unknown);
  const page = await fetch(`${live.url}/docs`);
  t.is(page.status, 200);
  const html = await page.text();
  t.notRegex(html, /<script/i, 'no script: the page is rendered by the service');
  t.notRegex(html, /https?:\/\//, 'no CDN');
  for (const [template, operations] of Object.entries(served.paths)) {
    for (const method of Object.keys(operations)) {
      const escaped = template.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      t.regex(html, new RegExp(`${method.toUpperCase()}</span> <span class="path">${escaped}</span>`), `${method} ${template} on the page`);
    }
  }
  t.regex(html, /id="schema-task-submit"/);
  const style = await fetch(`${live.url}/docs/style.css`);
  t.is(style.status, 200);
  t.regex(style.headers.get('content-type') ?? '', /text\/css/);
  t.is((await fetch(`${live.url}/docs/..%2Fpackage.json`)).status, 404);
  t.is((await fetch(`${live.url}/docs/swagger-ui-bundle.js`)).status, 404);

  // Vice versa, against the live router: a request to each documented operation (dummy ids,
  // no body) is answered by that route, never with "no such route" or "method not allowed".
  const dummy = '00000000-0000-4000-8000-000000000000';
  for (const [template, operations] of Object.entries(served.paths)) {
    const url = template.replace('/docs/{asset}', '/docs/style.css').replace('/console/{asset}', '/console/style.css').replace(/\{\w+\}/g, dummy);
    for (const method of Object.keys(operations)) {
      const response = await fetch(`${live.url}${url}`, { method: method.toUpperCase(), headers: { authorization: `Bearer ${live.adminToken}` } });
      const text = await response.text();
      t.false(/"code":"(RouteNotFound|NotFound|MethodNotAllowed)"/.test(text) || response.status === 405, `${method.toUpperCase()} ${template}: ${response.status} ${text.slice(0, 200)}`);
    }
  }
}, { metrics: 'open' });

serviceTest('a service with another Action Provider base path documents its routes there', async (t, live) => {
  const served = await (await fetch(`${live.url}/openapi.json`)).json() as { paths: Record<string, unknown> };
  t.truthy(served.paths['/flows/run']);
  t.falsy(served.paths['/actions/run']);
}, { actionProviderBasePath: '/flows/' });
