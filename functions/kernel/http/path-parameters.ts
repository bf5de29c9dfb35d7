import { fieldIssues, strict } from './field-issues';
import type { ApiMiddleware, ApiRequest } from './types';

/**
 * Parses the route's path parameters once, strictly, and keeps the outcome: authorization needs
 * them (the organization, project and service in the path) before the body is read, and validation
 * reports their issues together with the query's and the body's.
 */
export const parsePathParameters = (): ApiMiddleware => {
  const before = (request: ApiRequest) => {
    const route = request.internal.route;
    if (!route) throw new Error('path parameters are parsed after route resolution');
    const schema = strict(route.request?.params);
    if (!schema) {
      request.internal.params = { ok: true, params: {} };
      return;
    }
    const result = schema.safeParse(request.event.pathParameters ?? {});
    request.internal.params = result.success ? { ok: true, params: result.data as Record<string, unknown> } : { ok: false, issues: fieldIssues('params', result.error) };
  };
  return { before };
};
