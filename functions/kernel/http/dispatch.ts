import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Logger } from '../logging/logger';
import type { Platform } from '../platform/platform';
import type { AnyRouteContext, BoundRoute, RouteContext, RouteInput } from './implementation';
import { NDJSON, type Route } from './route';
import { header, sourceIpOf, type ApiContext, type ApiMiddleware, type ApiRequest } from './types';

/**
 * The last step of the pipeline: hands its state to the dispatcher on the invocation's context
 * (middy gives the handler only the event and the context).
 */
export const handOver = (): ApiMiddleware => {
  const before = (request: ApiRequest) => {
    request.context.pipeline = request.internal;
  };
  return { before };
};

/**
 * The handler behind the pipeline: calls the route's implementation with the validated input, then
 * parses the result with the route's success schema, which strips any field the schema does not
 * declare, so nothing leaves by accident.
 */
export function dispatch(implementations: readonly BoundRoute[], options: { readonly platform: () => Platform; readonly logger: Logger }) {
  const byRoute = new Map(implementations.map((bound) => [bound.route.id, bound]));
  return async (event: APIGatewayProxyEvent, context: ApiContext): Promise<APIGatewayProxyResult> => {
    const state = context.pipeline;
    if (!state?.route || !state.input || !state.requestId) throw new Error('pipeline state missing');
    const route: Route = state.route;
    const bound = byRoute.get(route.id);
    if (!bound) throw new Error(`route ${route.id} has no implementation here`);
    // The pipeline guarantees what the route's requirement promises (principal, org), so the
    // context is built once, untyped by route, and handed to the implementation as its own.
    const routeContext: AnyRouteContext = {
      requestId: state.requestId,
      principal: state.principal,
      org: state.org,
      sourceIp: sourceIpOf(event),
      userAgent: header(event, 'user-agent'),
      platform: options.platform(),
      logger: state.logger ?? options.logger,
    };
    const result = await bound.implementation(state.input as RouteInput<Route>, routeContext as unknown as RouteContext<Route>);
    const status = route.success.status;
    const ndjson = route.success.contentType === NDJSON;
    if ('lines' in result !== ndjson) throw new Error(`route ${route.id} answered in a form other than its declared content type`);
    const serialize = (value: unknown) => JSON.stringify(route.success.schema.parse(value));
    const body = status === 204 ? '' : 'lines' in result ? result.lines.map((line) => `${serialize(line)}\n`).join('') : serialize(result.body);
    const contentType = ndjson ? `${NDJSON}; charset=utf-8` : 'application/json; charset=utf-8';
    return {
      statusCode: status,
      headers: { ...(status === 204 ? {} : { 'Content-Type': contentType }), ...(result.headers ?? {}) },
      body,
    };
  };
}
