import type { AnyDomain } from '../domains';
import { createLogger, type Logger } from '../logging/logger';
import { awsPlatform } from './aws';
import { setPlatformFactory } from './platform';

/**
 * What every entry point of a domain does first (API handler, event consumer, scheduled job): its
 * logger, and the AWS adapters built from the function's environment on first use, unless a
 * platform was installed (the local gateway, tests).
 */
export function bootDomain(domain: AnyDomain, logger: Logger = createLogger(domain)): Logger {
  setPlatformFactory(() => awsPlatform(logger));
  return logger;
}
