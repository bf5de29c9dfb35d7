import type { Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { OrgAccess } from '../auth/authorize';
import type { Principal } from '../auth/principal';
import type { Logger } from '../logging/logger';
import type { Route } from './route';

/** What the pipeline learns about a request as it goes; middlewares read and fill it. */
export interface ApiState extends Record<string, unknown> {
  requestId?: string;
  /** `performance.now()` when the request entered the pipeline. */
  startedAt?: number;
  /** The domain logger with this request's id on every line. */
  logger?: Logger;
  route?: Route;
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

export type ApiRequest = Request<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context, ApiState>;

/** Case-insensitive header read: API Gateway keeps the client's casing. */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted && v !== undefined) return v;
  return undefined;
}

/** Sets headers on the response, creating the headers object if needed. */
export function setHeaders(request: ApiRequest, headers: Record<string, string>): void {
  if (!request.response) return;
  request.response.headers = { ...(request.response.headers ?? {}), ...headers };
}
