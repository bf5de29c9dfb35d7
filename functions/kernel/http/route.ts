import { z } from 'zod';
import { Permissions, type Permission } from '../auth/permissions';
import type { Domain } from '../domains';
import { RateLimitClasses, type RateLimitClass } from '../rate-limit/policies';

/**
 * A route declares everything about one endpoint. The route table built from these drives the
 * Lambda routers, the CDK REST API resources, the local gateway and the OpenAPI document.
 */

export const HttpMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HttpMethods)[number];

/**
 * Who may call a route. There is no default: a route without one cannot be defined.
 * - `public`: anyone (health, OpenAPI, login).
 * - `authenticated`: any signed-in principal, no organization involved (e.g. `/v1/me`).
 * - `permission`: a principal holding `permission` in the organization named by the path.
 */
export type AuthRequirement =
  | { readonly kind: 'public' }
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'permission'; readonly permission: Permission };

/** Anyone may call the route (health, the API description, login). */
export const anyone = { kind: 'public' } as const satisfies AuthRequirement;

/** Any signed-in person or key, no organization involved (personal routes refuse keys). */
export const signedIn = { kind: 'authenticated' } as const satisfies AuthRequirement;

/** A principal holding `permission` in the organization the path names. */
export const can = <P extends Permission>(permission: P) => ({ kind: 'permission', permission }) as const;

type AnyObject = z.ZodObject<z.ZodRawShape>;

/** What a success body may be besides the default JSON document: JSON Lines, for exports. */
export const NDJSON = 'application/x-ndjson';
export type SuccessContentType = 'application/json' | typeof NDJSON;

export interface RouteResponse {
  readonly description: string;
  readonly schema?: z.ZodType;
}

export interface RouteSpec<
  P extends AnyObject | undefined = AnyObject | undefined,
  Q extends AnyObject | undefined = AnyObject | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends z.ZodType = z.ZodType,
  A extends AuthRequirement = AuthRequirement,
> {
  /** Unique, stable; the OpenAPI operationId. */
  readonly id: string;
  readonly method: HttpMethod;
  /** API Gateway resource path, e.g. `/v1/orgs/{orgId}`. */
  readonly path: `/${string}`;
  readonly domain: Domain;
  /** One line, for listings of operations (the OpenAPI `summary`). */
  readonly summary: string;
  /** What the operation does and what it refuses, for the reference (the OpenAPI `description`). */
  readonly description?: string;
  readonly auth: A;
  readonly rateLimit: RateLimitClass;
  readonly request?: { readonly params?: P; readonly query?: Q; readonly body?: B };
  /**
   * The success status and the schema its body is checked (and stripped) against. With
   * `contentType: 'application/x-ndjson'` the body is JSON Lines: the implementation returns
   * `lines`, and `schema` describes (and strips) each line.
   * @default contentType 'application/json'
   */
  readonly success: {
    readonly status: 200 | 201 | 202 | 204;
    readonly description: string;
    readonly schema: R;
    readonly contentType?: SuccessContentType;
  };
  /**
   * Error statuses the route answers beyond those its declaration implies: 400 (a request schema),
   * 401 and 403 (not public), 404 (an id in the path, or an organization), 413 and 415 (a body),
   * 429 (every route). The OpenAPI document lists both.
   */
  readonly errors?: readonly (409 | 412 | 503)[];
}

export type Route = RouteSpec<AnyObject | undefined, AnyObject | undefined, z.ZodType | undefined, z.ZodType, AuthRequirement>;

const PATH = /^\/(?:[a-z0-9.-]+|\{[a-zA-Z][a-zA-Z0-9]*\})(?:\/(?:[a-z0-9.-]+|\{[a-zA-Z][a-zA-Z0-9]*\}))*$/;

export const pathParameterNames = (path: string): string[] => [...path.matchAll(/\{([a-zA-Z0-9]+)\}/g)].map((m) => m[1]!);

/**
 * Declares a route. Throws at module load (so the function fails to start) when the declaration is
 * incomplete: missing authorization or rate-limit class, path parameters without a schema, etc.
 */
export function defineRoute<
  P extends AnyObject | undefined = undefined,
  Q extends AnyObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType = z.ZodType,
  A extends AuthRequirement = AuthRequirement,
>(spec: RouteSpec<P, Q, B, R, A>): RouteSpec<P, Q, B, R, A> {
  const where = `route ${spec.id ?? '(no id)'}`;
  const auth = spec.auth as AuthRequirement | undefined;
  if (!auth || !['public', 'authenticated', 'permission'].includes(auth.kind)) {
    throw new Error(`${where}: declares no authorization requirement`);
  }
  if (auth.kind === 'permission' && !Permissions.includes(auth.permission)) throw new Error(`${where}: permission requirement names no known permission`);
  if (auth.kind === 'permission' && !pathParameterNames(spec.path).includes('orgId')) {
    throw new Error(`${where}: a permission is held in an organization, so the path must name {orgId}`);
  }
  if (!RateLimitClasses.includes(spec.rateLimit)) throw new Error(`${where}: declares no rate-limit class`);
  if (!HttpMethods.includes(spec.method)) throw new Error(`${where}: unsupported method`);
  if (!PATH.test(spec.path)) throw new Error(`${where}: invalid path ${spec.path}`);
  const declared = Object.keys(spec.request?.params?.shape ?? {}).sort();
  const inPath = pathParameterNames(spec.path).sort();
  if (declared.join() !== inPath.join()) throw new Error(`${where}: path parameters ${inPath.join()} need a params schema with exactly those keys`);
  if (spec.request?.body && spec.method === 'GET') throw new Error(`${where}: GET takes no body`);
  if (spec.success.contentType === NDJSON && spec.success.status === 204) throw new Error(`${where}: a 204 has no body to stream as JSON Lines`);
  return spec;
}

/** Checks a whole table: unique ids, unique method+path. Run at module load of the table. */
export function assertRouteTable(routes: readonly Route[]): void {
  const ids = new Set<string>();
  const endpoints = new Set<string>();
  for (const route of routes) {
    if (ids.has(route.id)) throw new Error(`duplicate route id ${route.id}`);
    const endpoint = `${route.method} ${route.path}`;
    if (endpoints.has(endpoint)) throw new Error(`duplicate endpoint ${endpoint}`);
    ids.add(route.id);
    endpoints.add(endpoint);
  }
}
