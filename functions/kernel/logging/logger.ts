import { Logger } from '@aws-lambda-powertools/logger';
import { redactingReplacer } from './redact';

/**
 * The structured JSON logger for one domain. Every line goes through the redaction replacer, so a
 * caller cannot write a password, token, secret, authorization header, cookie or env-var value.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({
    serviceName: `rampart-${serviceName}`,
    jsonReplacerFn: redactingReplacer,
  });
}

export type { Logger };
