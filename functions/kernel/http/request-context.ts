
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger';
import { principalId } from '../auth/principal';
import { setHeaders, sourceIpOf, type ApiMiddleware, type ApiRequest } from './types';

const REQUEST_ID = /^[A-Za-z0-9-]{8,128}$/;

/**
 * Gives every request an id (API Gateway's, else Lambda's, else a fresh one), puts it on every log
 * line of the invocation and on the response as `x-request-id`, errors included, and logs one line
 * per request when it completes: status, duration, who asked (principal type and id, never a
 * credential), for which organization, from which address. At DEBUG it also logs the incoming request:
 * the redaction layer, not this code, keeps credentials and bodies out of that line.
 */
export const requestContext = (opts: { logger: Logger }): ApiMiddleware => {
  const before = (request: ApiRequest) => {
    const candidate = request.event.requestContext?.requestId ?? request.context?.awsRequestId;
    const requestId = candidate && REQUEST_ID.test(candidate) ? candidate : randomUUID();
    request.internal.requestId = requestId;
    // A child per request, not appendKeys on the shared logger: the local gateway serves requests
    // concurrently in one process, and their log lines must not borrow each other's ids.
    request.internal.logger = opts.logger.createChild({
      persistentKeys: { requestId, method: request.event.httpMethod, resource: request.event.resource },
    });
    // Lambda's own fields (function name, cold start, Lambda request id) when there is a context.
    if (request.context?.functionName) request.internal.logger.addContext(request.context);
    request.internal.startedAt = performance.now();
    const { path, headers, queryStringParameters, body } = request.event;
    request.internal.logger.debug('Request received', { path, headers, query: queryStringParameters, body });
  };
  const complete = (request: ApiRequest) => {
    if (request.internal.requestId) setHeaders(request, { 'x-request-id': request.internal.requestId });
    const started = request.internal.startedAt;
    const { principal, org, params } = request.internal;
    // The organization asked for, also when the request was refused before it was authorized.
    const orgId = org?.scope.orgId ?? (params?.ok && typeof params.params.orgId === 'string' ? params.params.orgId : undefined);
    request.internal.logger?.info('Request completed', {
      status: request.response?.statusCode,
      durationMs: started === undefined ? undefined : Math.round(performance.now() - started),
      ...(principal ? { principalType: principal.type, principalId: principalId(principal) } : {}),
      ...(orgId ? { orgId } : {}),
      sourceIp: sourceIpOf(request.event),
    });
  };
  return { before, after: complete, onError: complete };
};
