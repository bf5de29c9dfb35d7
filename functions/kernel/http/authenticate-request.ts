import { ForbiddenError, UnauthenticatedError } from '../errors';
import type { Platform } from '../platform/platform';
import { headerValues, type ApiMiddleware, type ApiRequest } from './types';

/**
 * Public routes need no principal; every other route gets one or is refused (401) here, before the
 * body is parsed or validated, so an anonymous caller learns nothing about the schemas. Personal
 * routes (`authenticated`: /v1/me, my sessions, my organizations) act for a person; an API key acts
 * for an organization, so it is refused there (403: valid, but not this kind of caller). A request
 * with more than one Authorization header is refused (401) whatever they hold.
 */
export const authenticateRequest = (options: { readonly platform: () => Platform }): ApiMiddleware => {
  const before = async (request: ApiRequest) => {
    const route = request.internal.route;
    if (!route) throw new Error('authentication runs after route resolution');
    if (route.auth.kind === 'public') return;
    // Two credentials are one too many: a proxy and the function could each act on a different one.
    const authorization = headerValues(request.event, 'authorization');
    if (authorization.length > 1) throw new UnauthenticatedError('Send one Authorization header.');
    const principal = await options.platform().authenticate({ authorization: authorization[0] });
    if (route.auth.kind === 'authenticated' && principal.type !== 'user') throw new ForbiddenError('API keys act for an organization; use an access token here.');
    request.internal.principal = principal;
  };
  return { before };
};
