/**
 * GET /console: the web console, a single page bundled at build time
 * (scripts/build-console.ts) into dist/console/. It holds no secrets and calls
 * only the public API with the user's own token; its CSP lets it load nothing
 * but itself and talk to nothing but this service. docs/console.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import { RouteNotFound } from '../errors.js';
import type { RequestState, ServiceDeps } from '../http/context.js';
import type { Config } from '../config.js';

const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));
const FILES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};
/**
 * With a console client configured, the page also talks to the OpenID provider
 * (discovery, token exchange, revocation: CORS calls the provider allows for
 * that client), so its origin joins connect-src; sign-in and sign-out are
 * top-level navigations, which connect-src does not govern.
 */
function contentSecurityPolicy(config: Config): string {
  const provider = config.authMode === 'oidc' && config.oidcConsoleClientId ? ` ${new URL(config.oidcIssuer).origin}` : '';
  return `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'${provider}; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;
}

export function consoleRoutes(deps: ServiceDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  const CSP = contentSecurityPolicy(deps.config);
  const read = (name: string): Buffer => {
    const file = path.join(CONSOLE_DIR, name);
    if (!existsSync(file)) throw new RouteNotFound(`the console was not built (${file}); run npm run build`);
    return readFileSync(file);
  };
  router.get('/console', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = read('index.html');
  });
  router.get('/console/:asset', (ctx) => {
    const name = ctx.params.asset;
    if (!Object.hasOwn(FILES, name)) throw new RouteNotFound(`no route for ${ctx.method} ${ctx.path}`);
    ctx.type = FILES[name];
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = read(name);
  });
  return router;
}
