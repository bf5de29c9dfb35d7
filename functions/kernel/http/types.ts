import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { OrgAccess } from '../auth/authorize';
import type { Principal } from '../auth/principal';
import type { FieldIssue } from '../errors';
import type { Logger } from '../logging/logger';
import type { Route } from './route';

/** The route's path parameters, parsed once: what the authorization and validation steps share. */
export type ParsedParams = { readonly ok: true; readonly params: Record<string, unknown> } | { readonly ok: false; readonly issues: readonly FieldIssue[] };

/** What the pipeline learns about a request as it goes; middlewares read and fill it. */
export interface ApiState extends Record<string, unknown> {
  requestId?: string;
  /** `performance.now()` when the request entered the pipeline. */
  startedAt?: number;
  /** The domain logger with this request's id on every line. */
  logger?: Logger;
  route?: Route;
  /** The route's path parameters, parsed by `parsePathParameters` (before authorization reads them). */
  params?: ParsedParams;
  /** Established by the authentication step on every non-public route. */
  principal?: Principal;
  /** Established by the authorization step on routes that need a permission. */
  org?: OrgAccess;
  /** The JSON body, parsed but not yet validated. */
  json?: unknown;
  input?: { params: Record<string, unknown>; query: Record<string, unknown>; body: unknown };
  /**
   * Headers that belong on whatever response this request gets, decided by a step before the route
   * (the rate-limit state). That step adds them to a success; the error renderer adds them to an
   * error, because an `onError` hook registered after the renderer runs before it and has no response yet.
   */
  responseHeaders?: Record<string, string>;
}

/**
 * The Lambda context as the route dispatcher receives it: middy hands the handler only the event
 * and the context, so the pipeline's state travels on the context (`handOver`), which is one object
 * per invocation (the local gateway serves concurrent requests in one process).
 */
export interface ApiContext extends Context {
  pipeline?: ApiState;
}

export type ApiRequest = Request<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ApiContext, ApiState>;

/** Every step of the pipeline is one of these. */
export type ApiMiddleware = MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ApiContext, ApiState>;

/** Case-insensitive header read: API Gateway keeps the client's casing. */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted && v !== undefined) return v;
  return undefined;
}

/**
 * The values a request carries for a header, whatever their casing: API Gateway keeps every one in
 * `multiValueHeaders` (and only the last in `headers`).
 */
export function headerValues(event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>, name: string): string[] {
  const wanted = name.toLowerCase();
  const multi = Object.entries(event.multiValueHeaders ?? {}).filter(([k]) => k.toLowerCase() === wanted);
  if (multi.length > 0) return multi.flatMap(([, values]) => values ?? []);
  const single = header(event, name);
  return single === undefined ? [] : [single];
}

/** The caller's address as API Gateway saw it. */
export const sourceIpOf = (event: Pick<APIGatewayProxyEvent, 'requestContext'>): string => event.requestContext?.identity?.sourceIp ?? 'unknown';

/** Sets headers on the response, creating the headers object if needed. */
export function setHeaders(request: ApiRequest, headers: Record<string, string>): void {
  if (!request.response) return;
  request.response.headers = { ...(request.response.headers ?? {}), ...headers };
}
