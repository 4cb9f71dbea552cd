/** Functions: register, read, change, delete, search. */
import Router from '@koa/router';
import { requireUser, userOf } from '../authenticate.js';
import { uuidParams } from '../params.js';
import { bodyIn, queryIn, validBody, validQuery } from '../validatedInput.js';
import {
  deleteFunction, getVisibleFunction, registerFunction, searchFunctions, toFunctionRecord, updateFunction,
} from '../../registry/functions.js';
import { upstreamFunctionForm } from '../../upstream/v3Forms.js';
import type { RequestState, ServiceDeps } from '../context.js';
import type { FunctionRegisterRequest } from '@funcx-ts/shared/wire/function-register.js';
import type { FunctionUpdateRequest } from '@funcx-ts/shared/wire/function-update.js';
import type { FunctionSearchQuery } from '@funcx-ts/shared/wire/function-search-query.js';

export function functionRoutes(deps: ServiceDeps): Router<RequestState> {
  const { db, validator } = deps;
  const router = new Router<RequestState>();
  const user = requireUser(db);
  const id = uuidParams('function_id');

  router.post('/v3/functions', user, upstreamFunctionForm(deps), validBody(validator, 'function-register.json'), async (ctx) => {
    const functionId = await registerFunction(db, userOf(ctx).id, bodyIn<FunctionRegisterRequest>(ctx));
    ctx.status = 201;
    ctx.body = { function_uuid: functionId };
  });

  router.get('/v3/functions', user, validQuery(validator, 'function-search-query.json'), async (ctx) => {
    const query = queryIn<Required<FunctionSearchQuery>>(ctx);
    ctx.body = await searchFunctions(db, userOf(ctx), query);
  });

  router.get(['/v2/functions/:function_id', '/v3/functions/:function_id'], user, id, async (ctx) => {
    ctx.body = toFunctionRecord(await getVisibleFunction(db, userOf(ctx), ctx.params.function_id));
  });

  router.put('/v3/functions/:function_id', user, id, validBody(validator, 'function-update.json'), async (ctx) => {
    await updateFunction(db, userOf(ctx), ctx.params.function_id, bodyIn<FunctionUpdateRequest>(ctx));
    ctx.body = toFunctionRecord(await getVisibleFunction(db, userOf(ctx), ctx.params.function_id));
  });

  router.delete(['/v2/functions/:function_id', '/v3/functions/:function_id'], user, id, async (ctx) => {
    await deleteFunction(db, userOf(ctx), ctx.params.function_id);
    ctx.body = { function_uuid: ctx.params.function_id, deleted: true };
  });

  return router;
}
