
import { z } from 'zod';
import { RampartError, ValidationError } from '../errors';
import type { Logger } from '../logging/logger';
import type { ApiMiddleware, ApiRequest } from './types';

/** The body of every error response. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    requestId: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/**
 * The one place errors become responses. Exposed `RampartError`s are rendered with their code and
 * message; anything else is a bug: logged with its cause and the request id, answered with a
 * generic 500 that says nothing about the internals.
 */
export const errorRenderer = (opts: { logger: Logger }): ApiMiddleware => {
  const onError = (request: ApiRequest) => {
    const error = request.error;
    const requestId = request.internal.requestId ?? 'unknown';
    const known = error instanceof RampartError && error.expose ? error : undefined;
    const logger = request.internal.logger ?? opts.logger;
    if (!known) {
      logger.error('Unhandled error', { error });
    } else if (known.statusCode >= 500) {
      logger.warn('Service error', { code: known.code, cause: known.cause });
    }
    const body = known
      ? {
          error: {
            code: known.code,
            message: known.message,
            requestId,
            ...(known instanceof ValidationError ? { issues: known.issues } : {}),
          },
        }
      : { error: { code: 'internal_error', message: 'An unexpected error occurred.', requestId } };
    request.response = {
      statusCode: known?.statusCode ?? 500,
      headers: { 'Content-Type': 'application/json; charset=utf-8', ...(request.internal.responseHeaders ?? {}), ...(known?.headers ?? {}) },
      body: JSON.stringify(body),
    };
  };
  return { onError };
};
