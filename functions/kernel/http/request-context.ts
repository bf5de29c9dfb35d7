import type { MiddlewareObj } from '@middy/core';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger';
import { setHeaders, type ApiRequest } from './types';

const REQUEST_ID = /^[A-Za-z0-9-]{8,128}$/;

/**
 * Gives every request an id (API Gateway's, else Lambda's, else a fresh one), puts it on every log
 * line of the invocation and on the response as `x-request-id`, errors included.
 */
export const requestContext = (opts: { logger: Logger }): MiddlewareObj => {
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
  };
  const stamp = (request: ApiRequest) => {
    if (request.internal.requestId) setHeaders(request, { 'x-request-id': request.internal.requestId });
  };
  return { before, after: stamp, onError: stamp } as MiddlewareObj;
};
