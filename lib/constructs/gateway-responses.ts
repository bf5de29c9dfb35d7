import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type { ErrorCode } from '../../functions/kernel/errors';
import { SECURITY_HEADERS } from '../../functions/kernel/http/security-headers';

/**
 * An answer API Gateway gives by itself (no Lambda involved): the same body shape and headers as
 * the error renderer's, so a client cannot tell which layer refused it.
 */
export interface GatewayError {
  readonly type: apigw.ResponseType;
  /** @default the type's standard status code */
  readonly statusCode?: string;
  readonly code: ErrorCode;
  /** @default API Gateway's own message for the error (`$context.error.messageString`) */
  readonly message?: string;
}

export const GATEWAY_ERRORS: readonly GatewayError[] = [
  { type: apigw.ResponseType.DEFAULT_4XX, code: 'bad_request' },
  { type: apigw.ResponseType.DEFAULT_5XX, code: 'internal_error', message: 'An unexpected error occurred.' },
  { type: apigw.ResponseType.WAF_FILTERED, statusCode: '403', code: 'forbidden', message: 'The request was blocked.' },
  { type: apigw.ResponseType.THROTTLED, statusCode: '429', code: 'rate_limited', message: 'Too many requests; retry later.' },
  { type: apigw.ResponseType.QUOTA_EXCEEDED, statusCode: '429', code: 'rate_limited', message: 'Too many requests; retry later.' },
  { type: apigw.ResponseType.REQUEST_TOO_LARGE, statusCode: '413', code: 'payload_too_large', message: 'The request is too large.' },
  { type: apigw.ResponseType.UNAUTHORIZED, statusCode: '401', code: 'unauthenticated', message: 'Authentication is required.' },
  { type: apigw.ResponseType.ACCESS_DENIED, statusCode: '403', code: 'forbidden', message: 'Access denied.' },
  // API Gateway's answer for a path or method with no resource behind it: that is a 404 here.
  { type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, statusCode: '404', code: 'not_found', message: 'No such endpoint.' },
  { type: apigw.ResponseType.RESOURCE_NOT_FOUND, statusCode: '404', code: 'not_found', message: 'No such endpoint.' },
  { type: apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, statusCode: '415', code: 'unsupported_media_type', message: 'Request bodies must be JSON (Content-Type: application/json).' },
  { type: apigw.ResponseType.INTEGRATION_TIMEOUT, statusCode: '504', code: 'service_unavailable', message: 'The service did not answer in time.' },
];

/** The error body as a mapping template: `{"error":{"code","message","requestId"}}`. */
export function gatewayErrorTemplate(error: Pick<GatewayError, 'code' | 'message'>): string {
  // `messageString` is API Gateway's message already quoted as a JSON string.
  const message = error.message === undefined ? '$context.error.messageString' : JSON.stringify(error.message);
  return `{"error":{"code":${JSON.stringify(error.code)},"message":${message},"requestId":"$context.requestId"}}`;
}

/**
 * Header values of a gateway response are mapping expressions: a literal is written in single
 * quotes (API Gateway takes everything between the first and the last quote, so values such as
 * `default-src 'none'` pass unchanged).
 */
export const gatewayHeaderLiterals = (headers: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, `'${value}'`]));

/** Adds every gateway error response to the API. */
export function addGatewayErrorResponses(api: apigw.RestApi, errors: readonly GatewayError[] = GATEWAY_ERRORS): void {
  const responseHeaders = gatewayHeaderLiterals(SECURITY_HEADERS);
  for (const error of errors) {
    api.addGatewayResponse(`GatewayError${error.type.responseType}`, {
      type: error.type,
      ...(error.statusCode ? { statusCode: error.statusCode } : {}),
      responseHeaders,
      templates: { 'application/json': gatewayErrorTemplate(error) },
    });
  }
}
