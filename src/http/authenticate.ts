/**
 * Bearer credentials: a user's token (a local fxu_... API token, or an access
 * token from the OpenID provider) or an endpoint's credential (fxe_...). Routes say which kind they need; a missing or unknown credential is 401.
 */
import type { Knex } from 'knex';
import { EndpointAccessForbidden, EndpointCredentialInvalid, InternalError, UserUnauthenticated } from '../errors.js';
import { ENDPOINT_CREDENTIAL_PREFIX } from '../auth/secrets.js';
import { findEndpointByCredential } from '../registry/endpoints.js';
import type { AppContext, Middleware } from './context.js';
import { marked } from '../openapi/routeMarks.js';
import type { UserPrincipal } from '../auth/principal.js';

function bearer(ctx: AppContext): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('Authorization'));
  return match?.[1];
}

/**
 * The caller must be a user. Who decides is the app's authenticator (local API
 * tokens or the OpenID provider, set by createApp from FUNCX_AUTH_MODE); `db`
 * is kept in the signature so route modules need not know the mode.
 */
export function requireUser(_db: Knex): Middleware {
  return marked<Middleware>(async (ctx, next) => {
    const token = bearer(ctx);
    ctx.state.user = await authenticateUserToken(ctx, token);
    return next();
  }, { auth: 'user' });
}

/**
 * A user's bearer token to a user, by the app's authenticator, with the rate
 * limits applied (an address over its refusal budget, a refusal counted, the
 * identity's budget spent). Shared with the Action Provider API.
 */
export async function authenticateUserToken(ctx: AppContext, token: string | undefined): Promise<UserPrincipal> {
  const limits = ctx.state.limits;
  limits?.checkAddress(ctx.ip);
  const user = await refusalsCounted(ctx, async () => {
    if (!token) throw new UserUnauthenticated('send an API token: Authorization: Bearer <token>');
    // An endpoint credential is no user token (and must not reach the identity provider).
    if (token.startsWith(ENDPOINT_CREDENTIAL_PREFIX)) throw new UserUnauthenticated('the API token is unknown, revoked or expired');
    const authenticator = ctx.state.authenticator;
    if (!authenticator) throw new InternalError('no user authenticator is configured'); // fail closed
    return authenticator.authenticate(token);
  });
  await limits?.identity(`user:${user.id}`);
  return user;
}

/**
 * The caller must be the endpoint named in the path, by its own credential.
 *
 * `charge`: 'always' spends one request of the endpoint's budget before the route runs.
 * 'when-idle' (a lease poll, a results post) spends none up front, only refusing an endpoint this
 * replica knows to be out of budget, and leaves the route `ctx.state.chargeIfIdle` to call when
 * the request moved no task. Those requests come with the tasks users submitted, each submit
 * already charged to its user: charged too, an endpoint serving many users' single calls (two
 * such requests per task) was refused at 50 tasks a second, and each refused results post held
 * its result back for the Retry-After second. An endpoint that polls or posts without moving
 * work still pays for every request.
 */
export function requireEndpointCredential(db: Knex, charge: 'always' | 'when-idle' = 'always'): Middleware {
  return marked<Middleware>(async (ctx, next) => {
    const limits = ctx.state.limits;
    limits?.checkAddress(ctx.ip);
    const endpoint = await refusalsCounted(ctx, async () => {
      const credential = bearer(ctx);
      if (!credential?.startsWith(ENDPOINT_CREDENTIAL_PREFIX)) {
        throw new EndpointCredentialInvalid('this route takes an endpoint credential: Authorization: Bearer fxe_...');
      }
      const found = await findEndpointByCredential(db, credential);
      if (!found) throw new EndpointCredentialInvalid('the endpoint credential is unknown or was revoked');
      return found;
    });
    if (endpoint.endpointId !== ctx.params.endpoint_id) {
      throw new EndpointAccessForbidden('an endpoint credential works only for its own endpoint');
    }
    const identity = `endpoint:${endpoint.endpointId}`;
    ctx.state.endpoint = endpoint;
    if (charge === 'always' || !limits) {
      await limits?.identity(identity);
      return next();
    }
    limits.checkIdentity(identity);
    let charged = false;
    ctx.state.chargeIfIdle = async () => {
      if (charged) return;
      charged = true;
      await limits.identity(identity);
    };
    try {
      return await next();
    } catch (error) {
      // A request that failed (a malformed body, ...) moved nothing either: it is charged, and its
      // own error is the answer (an exhausted budget refuses the endpoint's next request).
      await ctx.state.chargeIfIdle().catch(() => undefined);
      throw error;
    }
  }, { auth: 'endpoint' });
}

/** A refused credential (401) spends the address's budget; over it, the answer is 429 instead. */
async function refusalsCounted<T>(ctx: AppContext, authenticate: () => Promise<T>): Promise<T> {
  try {
    return await authenticate();
  } catch (error) {
    if (error instanceof UserUnauthenticated || error instanceof EndpointCredentialInvalid) await ctx.state.limits?.refused(ctx.ip);
    throw error;
  }
}

export function userOf(ctx: AppContext): UserPrincipal {
  if (!ctx.state.user) throw new UserUnauthenticated('not authenticated');
  return ctx.state.user;
}
