/**
 * GET /openapi.json: the document assembled at build time (scripts/build-openapi.ts),
 * re-prefixed if this service mounts the Action Provider elsewhere than the
 * build's default. GET /docs: a readable reference, Swagger UI served from the
 * swagger-ui-dist package (no CDN), pointed at /openapi.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import { RouteNotFound } from '../errors.js';
import type { RequestState, ServiceDeps } from '../http/context.js';

export const DOCUMENT_FILE = fileURLToPath(new URL('./openapi.json', import.meta.url));
const SWAGGER_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
/** The only files /docs/ serves, with their types. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};
const INIT_JS = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout' });
});
`;
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>funcX-TS API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>
`;

export function openapiRoutes(deps: ServiceDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  let served: string | undefined;
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
    ctx.set('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
    ctx.body = PAGE;
  });
  router.get('/docs/:asset', (ctx) => {
    const name = ctx.params.asset;
    if (name === 'init.js') {
      ctx.type = 'text/javascript; charset=utf-8';
      ctx.body = INIT_JS;
      return;
    }
    if (!Object.hasOwn(ASSETS, name)) throw new RouteNotFound(`no route for ${ctx.method} ${ctx.path}`);
    ctx.type = ASSETS[name];
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = readFileSync(path.join(SWAGGER_DIR, name));
  });
  return router;
}
