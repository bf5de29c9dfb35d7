import { MethodNotAllowedError, NotFoundError } from '../errors';
import type { Route } from './route';
import { RouteMatcher } from './route-matcher';
import type { ApiMiddleware, ApiRequest } from './types';

/** API Gateway's greedy catch-all resource: paths no route declares arrive on it. */
export const FALLBACK_RESOURCE = '/{proxy+}';

export interface ResolveRouteOptions {
  /** The routes this function serves. */
  readonly routes: readonly Route[];
  /**
   * The whole route table, for the function that API Gateway sends everything else to: it answers
   * 405 (with `Allow`) for a known path with another method, and 404 for an unknown path.
   * @default the function's own routes
   */
  readonly answersFor?: readonly Route[];
}

/**
 * Finds the route of the proxy event (`resource` + `httpMethod`) before anything else runs, so an
 * unknown path is a 404 and another method a 405 whoever asks.
 */
export const resolveRoute = (options: ResolveRouteOptions): ApiMiddleware => {
  const own = new RouteMatcher(options.routes);
  const table = options.answersFor ? new RouteMatcher(options.answersFor) : own;
  const before = (request: ApiRequest) => {
    const { resource, httpMethod } = request.event;
    if (!resource || resource === FALLBACK_RESOURCE) throw new NotFoundError('No such endpoint.');
    const route = own.route(resource, httpMethod);
    if (route) {
      request.internal.route = route;
      return;
    }
    const declared = table.route(resource, httpMethod);
    // API Gateway sends each route to its own function: another's route here is a wiring mistake.
    if (declared) throw new Error(`route ${declared.id} is not served by this function`);
    const allowed = table.allowedMethods(resource);
    throw allowed.length > 0 ? new MethodNotAllowedError(allowed) : new NotFoundError('No such endpoint.');
  };
  return { before };
};
