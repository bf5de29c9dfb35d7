import type { z } from 'zod';
import type { OrgAccess } from '../auth/authorize';
import type { Principal } from '../auth/principal';
import type { Logger } from '../logging/logger';
import type { Platform } from '../platform/platform';
import type { AuthRequirement, Route, RouteSpec } from './route';

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

/** The context of a route that needs a permission: an authorized principal in one organization. */
export type OrgRouteContext = Omit<RouteContext, 'principal' | 'org'> & { readonly principal: Principal; readonly org: OrgAccess };

/**
 * A JSON body, or (on routes declaring `success.contentType: 'application/x-ndjson'`) the lines of a
 * JSON Lines body, each checked against the success schema like a JSON body is.
 */
export type RouteResult<R extends Route> = (
  | { readonly body: z.input<R['success']['schema']> }
  | { readonly lines: readonly z.input<R['success']['schema']>[] }
) & { readonly headers?: Record<string, string> };

export type RouteImplementation<R extends Route> = (input: RouteInput<R>, context: RouteContext<R>) => Promise<RouteResult<R>>;

/** A route with the code that serves it. */
export interface BoundRoute {
  readonly route: Route;
  readonly implementation: RouteImplementation<Route>;
}

/** Binds an implementation to its route; the input and result types flow from the route's schemas. */
export function implement<R extends Route>(route: R, implementation: RouteImplementation<R>): BoundRoute {
  return { route, implementation: implementation as unknown as RouteImplementation<Route> };
}
