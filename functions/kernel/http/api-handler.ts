import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { z } from 'zod';
import { recordApiKeyUse } from '../auth/api-keys';
import { requireOrg, requireResources, type OrgAccess } from '../auth/authorize';
import type { Principal } from '../auth/principal';
import { ForbiddenError, NotFoundError, MethodNotAllowedError } from '../errors';
import type { Logger } from '../logging/logger';
import { platform, type Platform } from '../platform/platform';
import { rateLimit } from '../rate-limit/middleware';
import { errorRenderer } from './error-renderer';
import { jsonBody } from './json-body';
import { requestContext } from './request-context';
import { NDJSON, type AuthRequirement, type Domain, type Route, type RouteSpec } from './route';
import { RouteMatcher } from './route-matcher';
import { securityHeaders } from './security-headers';
import { header, type ApiRequest, type ApiState } from './types';
import { parsePathParameters, validateRequest } from './validate-request';

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export type RouteInput<R extends Route> =
  R extends RouteSpec<infer P, infer Q, infer B, z.ZodType, AuthRequirement>
    ? { readonly params: Out<P>; readonly query: Out<Q>; readonly body: Out<B> }
    : never;

/** What a route implementation knows about its caller and its environment. */
export interface RouteContext<R extends Route = Route> {
  readonly requestId: string;
  /** Present on every non-public route: the pipeline refuses the request before the route otherwise. */
  readonly principal: R['auth'] extends { kind: 'public' } ? undefined : Principal;
  /**
   * On routes that need a permission: the organization the caller was authorized for (every tenant
   * key is built from it) and the caller's role there.
   */
  readonly org: R['auth'] extends { kind: 'permission' } ? OrgAccess : undefined;
  readonly sourceIp: string;
  readonly userAgent: string | undefined;
  readonly platform: Platform;
  readonly logger: Logger;
}

/** A route context whatever the route's requirement: for helpers shared by public and private routes. */
export type AnyRouteContext = Omit<RouteContext, 'principal' | 'org'> & { readonly principal: Principal | undefined; readonly org: OrgAccess | undefined };

/**
 * A JSON body, or (on routes declaring `success.contentType: 'application/x-ndjson'`) the lines of a
 * JSON Lines body, each checked against the success schema like a JSON body is.
 */
export type RouteResult<R extends Route> = (
  | { readonly body: z.input<R['success']['schema']> }
  | { readonly lines: readonly z.input<R['success']['schema']>[] }
) & { readonly headers?: Record<string, string> };

export type RouteImplementation<R extends Route> = (input: RouteInput<R>, context: RouteContext<R>) => Promise<RouteResult<R>>;

export interface BoundRoute {
  readonly route: Route;
  readonly implementation: RouteImplementation<Route>;
}

/** Binds an implementation to its route; the input and result types flow from the route's schemas. */
export function implement<R extends Route>(route: R, implementation: RouteImplementation<R>): BoundRoute {
  return { route, implementation: implementation as unknown as RouteImplementation<Route> };
}

export interface ApiHandlerOptions {
  readonly domain: Domain;
  readonly logger: Logger;
  /** This domain's routes with their implementations. */
  readonly routes: readonly BoundRoute[];
  /** The whole route table, to tell 404 (unknown path) from 405 (known path, other method). */
  readonly routeTable: readonly Route[];
}

/** API Gateway's greedy catch-all resource: paths no route declares arrive on it. */
export const FALLBACK_RESOURCE = '/{proxy+}';

/**
 * Builds a domain's Lambda handler: the middy pipeline (request id, security headers, error
 * rendering, route resolution, authentication, rate limit, authorization, JSON body, validation)
 * around an internal router.
 */
export function createApiHandler(options: ApiHandlerOptions) {
  const { domain, logger } = options;
  const matcher = new RouteMatcher(options.routeTable);
  const implementations = new Map(options.routes.map((b) => [b.route.id, b]));
  for (const bound of options.routes) {
    if (bound.route.domain !== domain) throw new Error(`route ${bound.route.id} belongs to ${bound.route.domain}, not ${domain}`);
  }

  const resolveRoute = (request: ApiRequest) => {
    const { resource, httpMethod } = request.event;
    if (!resource || resource === FALLBACK_RESOURCE) throw new NotFoundError('No such endpoint.');
    const route = matcher.route(resource, httpMethod);
    if (!route) {
      const allowed = matcher.allowedMethods(resource);
      throw allowed.length > 0 ? new MethodNotAllowedError(allowed) : new NotFoundError('No such endpoint.');
    }
    if (!implementations.has(route.id)) throw new Error(`route ${route.id} is not served by the ${domain} function`);
    request.internal.route = route;
  };

  // Public routes need no principal; every other route gets one or is refused (401) here, before
  // the body is parsed or validated, so an anonymous caller learns nothing about the schemas.
  // Personal routes (`authenticated`: /v1/me, my sessions, my organizations) act for a person; an
  // API key acts for an organization, so it is refused there (403: valid, but not this kind of caller).
  const authenticate = async (request: ApiRequest) => {
    const route = request.internal.route;
    if (route?.auth.kind === 'public') return;
    const principal = await platform().authenticate({ authorization: header(request.event, 'authorization') });
    if (route?.auth.kind === 'authenticated' && principal.type !== 'user') throw new ForbiddenError('API keys act for an organization; use an access token here.');
    request.internal.principal = principal;
  };

  // Routes that need a permission: the caller's organization, role and the resources in the path,
  // checked before the body is read, so a caller without access learns nothing about the schemas
  // and a foreign id is a 404 whatever else the request holds.
  // An authorized API-key request also records the key's use (at most once a minute per key, see
  // recordApiKeyUse): `lastUsedAt` always, and an `apikey.used` audit record for reads.
  const authorize = async (request: ApiRequest) => {
    const route = request.internal.route;
    if (route?.auth.kind !== 'permission') return;
    const params = parsePathParameters(request);
    const principal = request.internal.principal!;
    const access = await requireOrg(platform().table, principal, String(params.orgId), route.auth.permission);
    await requireResources(platform().table, access.scope, params, principal);
    request.internal.org = access;
    if (principal.type === 'api_key') {
      await recordApiKeyUse(platform(), principal, access.scope, {
        routeId: route.id,
        audited: route.method === 'GET',
        sourceIp: request.event.requestContext?.identity?.sourceIp ?? 'unknown',
        userAgent: header(request.event, 'user-agent'),
      }, new Date());
    }
  };

  // The handler gets only (event, context); the pipeline's state reaches it keyed by the event object,
  // which is unique per invocation (the local gateway serves concurrent requests in one process).
  const states = new WeakMap<APIGatewayProxyEvent, ApiState>();
  const handOver = (request: ApiRequest) => {
    states.set(request.event, request.internal);
  };

  const router = async (event: APIGatewayProxyEvent, _context: Context): Promise<APIGatewayProxyResult> => {
    const state = states.get(event);
    if (!state?.route || !state.input || !state.requestId) throw new Error('pipeline state missing');
    const route = state.route;
    const bound = implementations.get(route.id)!;
    const input = state.input;
    // The pipeline guarantees what the route's requirement promises (principal, org), so the
    // context is built once, untyped by route, and handed to the implementation as its own.
    const context: AnyRouteContext = {
      requestId: state.requestId,
      principal: state.principal,
      org: state.org,
      sourceIp: event.requestContext?.identity?.sourceIp ?? 'unknown',
      userAgent: header(event, 'user-agent'),
      platform: platform(),
      logger: state.logger ?? logger,
    };
    const result = await bound.implementation(input as RouteInput<Route>, context as unknown as RouteContext<Route>);
    const status = route.success.status;
    const ndjson = route.success.contentType === NDJSON;
    if ('lines' in result !== ndjson) throw new Error(`route ${route.id} answered in a form other than its declared content type`);
    // Parsing the result strips any field the schema does not declare: nothing leaves by accident.
    const serialize = (value: unknown) => JSON.stringify(route.success.schema.parse(value));
    const body = status === 204 ? '' : 'lines' in result ? result.lines.map((line) => `${serialize(line)}\n`).join('') : serialize(result.body);
    const contentType = ndjson ? `${NDJSON}; charset=utf-8` : 'application/json; charset=utf-8';
    return {
      statusCode: status,
      headers: { ...(status === 204 ? {} : { 'Content-Type': contentType }), ...(result.headers ?? {}) },
      body,
    };
  };

  const pipeline = middy<APIGatewayProxyEvent, APIGatewayProxyResult>();
  const handler = pipeline
    .use(requestContext({ logger }))
    .use(securityHeaders())
    .use(errorRenderer({ logger }))
    .use({ before: resolveRoute } as middy.MiddlewareObj)
    .use({ before: authenticate } as middy.MiddlewareObj)
    .use(rateLimit())
    .use({ before: authorize } as middy.MiddlewareObj)
    .use(jsonBody())
    .use(validateRequest())
    .use({ before: handOver } as middy.MiddlewareObj);
  return handler.handler(router);
}
