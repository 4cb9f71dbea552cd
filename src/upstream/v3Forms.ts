/**
 * The bodies globus-compute-sdk 3.x/4.x send to native /v3 paths, told from
 * native bodies by a field only they have, and answered on the same registry
 * (as upstreamSubmitForm does for submits):
 *
 * - POST /v3/functions with `function_code` (FunctionRegistrationData): the
 *   packed code is stored as is, with `meta` (python_version, sdk_version,
 *   serde_identifier) as the function's metadata;
 * - POST /v3/endpoints and PUT /v3/endpoints/{id} with `endpoint_name`
 *   (Client.register_endpoint): registered under that name; options that
 *   need Globus services are refused when set, never silently dropped.
 *
 * Each is a step before the native route's validation: it answers an upstream
 * body itself and passes a native one on.
 */
import { UpstreamOptionUnsupported } from '../errors.js';
import { bodyOf } from '../http/jsonBody.js';
import { userOf } from '../http/authenticate.js';
import { registerFunction } from '../registry/functions.js';
import { registerEndpoint } from '../registry/endpoints.js';
import type { Middleware, ServiceDeps } from '../http/context.js';
import type { UpstreamFunctionRegisterV3Request } from '@funcx-ts/shared/wire/upstream-function-register-v3.js';
import type { UpstreamEndpointRegisterRequest } from '@funcx-ts/shared/wire/upstream-endpoint-register.js';

const has = (body: unknown, field: string): boolean => typeof body === 'object' && body !== null && !Array.isArray(body) && field in body;

export function upstreamFunctionForm(deps: ServiceDeps): Middleware {
  return async (ctx, next) => {
    if (!has(bodyOf(ctx), 'function_code')) return next();
    const body = deps.validator.check<UpstreamFunctionRegisterV3Request>('upstream-function-register-v3.json', bodyOf(ctx), 'body');
    if (body.ha_endpoint_id) {
      throw new UpstreamOptionUnsupported('high-assurance endpoints are not supported: register the function without ha_endpoint_id', { details: { field: 'ha_endpoint_id' } });
    }
    const functionId = await registerFunction(deps.db, userOf(ctx).id, {
      name: body.function_name,
      runtime: 'python',
      source: body.function_code,
      ...(body.description ? { description: body.description } : {}),
      public: body.public ?? false,
      ...(body.group ? { group_ids: [body.group] } : {}),
      ...(body.meta ? { metadata: body.meta } : {}),
    }, 'globus-compute');
    ctx.status = 201;
    ctx.body = { function_uuid: functionId };
  };
}

const GLOBUS_ONLY = ['authentication_policy', 'subscription_uuid', 'high_assurance', 'admins'] as const;

export function upstreamEndpointForm(deps: ServiceDeps): Middleware {
  return async (ctx, next) => {
    if (!has(bodyOf(ctx), 'endpoint_name')) return next();
    const body = deps.validator.check<UpstreamEndpointRegisterRequest>('upstream-endpoint-register.json', bodyOf(ctx), 'body');
    for (const field of GLOBUS_ONLY) {
      const value = body[field];
      if (value === undefined || value === null || value === false || (Array.isArray(value) && value.length === 0)) continue;
      throw new UpstreamOptionUnsupported(`${field} needs Globus services this service does not have: register without it`, { details: { field } });
    }
    const knownId = ctx.params.endpoint_id as string | undefined;
    const answer = await registerEndpoint(deps.db, userOf(ctx), {
      name: body.endpoint_name,
      ...(body.display_name ? { display_name: body.display_name } : {}),
      ...(body.public !== undefined ? { public: body.public } : {}),
      ...(body.allowed_functions ? { allowed_functions: body.allowed_functions } : {}),
      ...(body.metadata ? { metadata: body.metadata } : {}),
      ...(body.multi_user !== undefined ? { multi_user: body.multi_user } : {}),
    }, knownId);
    ctx.status = knownId ? 200 : 201;
    ctx.body = answer;
  };
}
