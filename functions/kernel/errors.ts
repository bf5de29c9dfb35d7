/**
 * The one error hierarchy of Rampart. Every failure a client can see is a subclass with a stable
 * `code`; the error middleware renders exposed errors and turns anything else into a generic 500.
 */

export const ErrorCodes = [
  'bad_request',
  'validation_failed',
  'malformed_json',
  'unsupported_media_type',
  'payload_too_large',
  'unauthenticated',
  'invalid_credentials',
  'invalid_token',
  'refresh_token_reused',
  'invalid_mfa_code',
  'email_not_verified',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'precondition_failed',
  'rate_limited',
  'service_unavailable',
  'internal_error',
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

export interface FieldIssue {
  /** Where the problem is: `body.name`, `query.limit`, `params.orgId`. */
  readonly path: string;
  readonly message: string;
}

export class RampartError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Whether the message is safe to show a client. Non-exposed errors become a generic 500. */
  readonly expose: boolean;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    statusCode: number,
    message: string,
    options: { cause?: unknown; expose?: boolean; headers?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.statusCode = statusCode;
    this.expose = options.expose ?? statusCode < 500;
    this.headers = options.headers ?? {};
  }
}

export class BadRequestError extends RampartError {
  constructor(message: string) {
    super('bad_request', 400, message);
  }
}

export class ValidationError extends RampartError {
  readonly issues: readonly FieldIssue[];
  constructor(issues: readonly FieldIssue[]) {
    super('validation_failed', 400, summarise(issues));
    this.issues = issues;
  }
}

/**
 * The message of a validation error: each issue (at most 10) as `path: message.`, one after the
 * other, every message ending in exactly one full stop:
 * `Request validation failed: body.name: "name" is required. body.email: "email" must be a valid email address.`
 */
function summarise(issues: readonly FieldIssue[]): string {
  const sentence = (message: string) => `${message.trim().replace(/[\s.;:,!?]+$/u, '')}.`;
  const shown = issues.slice(0, 10).map((i) => `${i.path}: ${sentence(i.message)}`);
  const rest = issues.length - shown.length;
  const more = rest > 0 ? ` And ${rest} more issue${rest === 1 ? '' : 's'}.` : '';
  return shown.length === 0 ? 'Request validation failed.' : `Request validation failed: ${shown.join(' ')}${more}`;
}

export class MalformedJsonError extends RampartError {
  constructor() {
    super('malformed_json', 400, 'The request body is not valid JSON.');
  }
}

export class UnsupportedMediaTypeError extends RampartError {
  constructor() {
    super('unsupported_media_type', 415, 'Request bodies must be JSON (Content-Type: application/json).');
  }
}

export class PayloadTooLargeError extends RampartError {
  constructor(limitBytes: number) {
    super('payload_too_large', 413, `The request body exceeds the limit of ${limitBytes} bytes.`);
  }
}

export class UnauthenticatedError extends RampartError {
  constructor(message = 'Authentication is required.') {
    super('unauthenticated', 401, message, { headers: { 'WWW-Authenticate': 'Bearer' } });
  }
}

/** Email and password do not match an account; the same answer whichever of the two is wrong. */
export class InvalidCredentialsError extends RampartError {
  constructor() {
    super('invalid_credentials', 401, 'The email or password is incorrect.');
  }
}

/** A one-time or refresh token that is unknown, used, expired or malformed. */
export class InvalidTokenError extends RampartError {
  constructor(message = 'The token is invalid or has expired.') {
    super('invalid_token', 400, message);
  }
}

/** A refresh token presented a second time: the session it belonged to is revoked. */
export class RefreshTokenReusedError extends RampartError {
  constructor() {
    super('refresh_token_reused', 401, 'This refresh token was already used; the session has been revoked. Log in again.');
  }
}

export class InvalidMfaCodeError extends RampartError {
  constructor() {
    super('invalid_mfa_code', 401, 'The two-factor code is incorrect, expired or already used.');
  }
}

export class EmailNotVerifiedError extends RampartError {
  constructor() {
    super('email_not_verified', 403, 'Verify your email address before logging in.');
  }
}

export class ForbiddenError extends RampartError {
  constructor(message = 'You are not allowed to do this.') {
    super('forbidden', 403, message);
  }
}

export class NotFoundError extends RampartError {
  constructor(message = 'The resource does not exist.') {
    super('not_found', 404, message);
  }
}

export class MethodNotAllowedError extends RampartError {
  constructor(allowed: readonly string[]) {
    super('method_not_allowed', 405, `This path supports: ${allowed.join(', ')}.`, {
      headers: { Allow: allowed.join(', ') },
    });
  }
}

export class ConflictError extends RampartError {
  constructor(message: string) {
    super('conflict', 409, message);
  }
}

/** Optimistic locking lost: the item changed since the caller read it. */
export class PreconditionFailedError extends RampartError {
  constructor(message = 'The resource was changed by someone else; read it again and retry.') {
    super('precondition_failed', 412, message);
  }
}

/** Refused by a rate limit; the message and `Retry-After` say when the next attempt is admitted. */
export class RateLimitedError extends RampartError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, what = 'Too many requests') {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super('rate_limited', 429, `${what}; retry in ${seconds} second${seconds === 1 ? '' : 's'}.`, { headers: { 'Retry-After': String(seconds) } });
    this.retryAfterSeconds = seconds;
  }
}

export class ServiceUnavailableError extends RampartError {
  constructor(message = 'The service is temporarily unavailable.', cause?: unknown) {
    super('service_unavailable', 503, message, { cause, expose: true });
  }
}

/** A programming or configuration mistake: thrown at cold start, never rendered to a client. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}
