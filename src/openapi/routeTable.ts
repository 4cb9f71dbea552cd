/**
 * The routes an app serves, read from the app itself: every @koa/router
 * mounted on it (the Action Provider's included), each route's methods and path
 * template, and what its steps are marked with (routeMarks.ts). The OpenAPI
 * document is assembled from this table, and a test compares it with the
 * document, so a route added anywhere is documented or the test says so.
 */
import type Koa from 'koa';
import { markOf, type RouteMark } from './routeMarks.js';

export interface RouteEntry {
  method: string;
  /** As the router has it: /v3/tasks/:task_id */
  path: string;
  /** OpenAPI form: /v3/tasks/{task_id} */
  template: string;
  mark: RouteMark;
  /** Under the Action Provider's base path (its own error shape). */
  actionProvider: boolean;
}

interface LayerLike {
  path: string | RegExp;
  methods: string[];
  stack: unknown[];
}

export function routeTable(app: Koa<never>): RouteEntry[] {
  const routes: RouteEntry[] = [];
  for (const middleware of app.middleware as unknown as { router?: { stack: LayerLike[] }; actionProviderPrefix?: string }[]) {
    if (!middleware.router) continue;
    for (const layer of middleware.router.stack) {
      if (typeof layer.path !== 'string') continue;
      const mark: RouteMark = {};
      for (const step of layer.stack) Object.assign(mark, markOf(step));
      for (const method of layer.methods.filter((m) => m !== 'HEAD')) {
        routes.push({ method, path: layer.path, template: toTemplate(layer.path), mark, actionProvider: middleware.actionProviderPrefix !== undefined });
      }
    }
  }
  return routes;
}

export function toTemplate(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}
