import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Domain } from '../domains';
import type { Logger } from '../logging/logger';
import { bootDomain } from '../platform/boot';
import { platform as installedPlatform, type Platform } from '../platform/platform';
import { rateLimit } from '../rate-limit/middleware';
import { authenticateRequest } from './authenticate-request';
import { authorizeRequest } from './authorize-request';
import { dispatch, handOver } from './dispatch';
import { errorRenderer } from './error-renderer';
import type { BoundRoute } from './implementation';
import { jsonBody } from './json-body';
import { parsePathParameters } from './path-parameters';
import { requestContext } from './request-context';
import { resolveRoute } from './resolve-route';
import type { Route } from './route';
import { securityHeaders } from './security-headers';
import type { ApiContext, ApiState } from './types';
import { validateRequest } from './validate-request';

export interface ApiHandlerOptions {
  /**
   * The whole route table, for the domain that answers what no route declares (404/405).
   * @default none: the function knows only its own routes
   */
  readonly answersFor?: readonly Route[];
  /**
   * Where the adapters come from, read per request (the local platform is installed after start-up).
   * @default the process's platform (`installPlatform`, or built from the environment in Lambda)
   */
  readonly platform?: () => Platform;
  /** @default the domain's logger (`rampart-<domain>`) */
  readonly logger?: Logger;
}

/**
 * A domain's Lambda handler: its logger, its platform (AWS adapters from the environment in Lambda),
 * and the middy pipeline around its routes. In order: request id and log line, security headers,
 * error rendering, route resolution (404/405), authentication (401), rate limit (429), path
 * parameters, authorization (404/403, before the body is read), JSON body (413/415/400), validation
 * (400), and the dispatch to the route's implementation.
 * @example export const handler = createApiHandler('projects', [...projectImplementations, ...serviceImplementations]);
 */
export function createApiHandler(domain: Domain, implementations: readonly BoundRoute[], options: ApiHandlerOptions = {}) {
  const logger = bootDomain(domain, options.logger);
  const platform = options.platform ?? installedPlatform;
  for (const bound of implementations) {
    if (bound.route.domain !== domain) throw new Error(`route ${bound.route.id} belongs to ${bound.route.domain}, not ${domain}`);
  }
  const routes = implementations.map((bound) => bound.route);
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ApiContext, ApiState>()
    .use(requestContext({ logger }))
    .use(securityHeaders())
    .use(errorRenderer({ logger }))
    .use(resolveRoute({ routes, ...(options.answersFor ? { answersFor: options.answersFor } : {}) }))
    .use(authenticateRequest({ platform }))
    .use(rateLimit({ table: () => platform().table }))
    .use(parsePathParameters())
    .use(authorizeRequest({ platform }))
    .use(jsonBody())
    .use(validateRequest())
    .use(handOver())
    .handler(dispatch(implementations, { platform, logger }));
}
