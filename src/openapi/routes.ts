/**
 * GET /openapi.json: the document assembled at build time (scripts/build-openapi.ts),
 * re-prefixed if this service mounts the Action Provider elsewhere than the
 * build's default. GET /docs: the same document as a readable page rendered
 * here (referencePage.ts: no script, no CDN, no package), and its stylesheet.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import { RouteNotFound } from '../errors.js';
import type { RequestState, ServiceDeps } from '../http/context.js';
import { renderReferencePage, STYLESHEET } from './referencePage.js';

export const DOCUMENT_FILE = fileURLToPath(new URL('./openapi.json', import.meta.url));

export function openapiRoutes(deps: ServiceDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  let served: string | undefined;
  let page: string | undefined;
  const document = (): string => {
    if (served) return served;
    if (!existsSync(DOCUMENT_FILE)) throw new RouteNotFound(`the OpenAPI document was not built (${DOCUMENT_FILE}); run npm run build`);
    const built = JSON.parse(readFileSync(DOCUMENT_FILE, 'utf8')) as { paths: Record<string, unknown>; 'x-action-provider-base-path'?: string };
    const from = built['x-action-provider-base-path'];
    const to = deps.config.actionProviderBasePath.replace(/\/+$/, '');
    if (from && from !== to) {
      built.paths = Object.fromEntries(Object.entries(built.paths).map(([p, v]) => [p === from || p.startsWith(`${from}/`) ? to + p.slice(from.length) : p, v]));
      built['x-action-provider-base-path'] = to;
    }
    return (served = JSON.stringify(built));
  };

  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = document();
  });
  router.get('/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'self'");
    ctx.body = (page ??= renderReferencePage(JSON.parse(document())));
  });
  router.get('/docs/:asset', (ctx) => {
    if (ctx.params.asset !== 'style.css') throw new RouteNotFound(`no route for ${ctx.method} ${ctx.path}`);
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = STYLESHEET;
  });
  return router;
}
