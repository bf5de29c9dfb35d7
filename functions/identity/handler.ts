import { createApiHandler } from '../kernel/http/api-handler';
import { createLogger } from '../kernel/logging/logger';
import { awsPlatform } from '../kernel/platform/aws';
import { setPlatformFactory } from '../kernel/platform/platform';
import { routeTable } from '../routes';
import { accountRoutes } from './account';
import { accountDeletionRoutes } from './account-deletion';
import { loginRoutes } from './login';
import { mfaRoutes } from './mfa';

const logger = createLogger('identity');
setPlatformFactory(() => awsPlatform(logger));

/**
 * The identity function: accounts (and their deletion), email verification, password reset, login
 * with a second factor, sessions and refresh tokens, the JWKS.
 */
export const handler = createApiHandler({
  domain: 'identity',
  logger,
  routeTable,
  routes: [...accountRoutes, ...accountDeletionRoutes, ...loginRoutes, ...mfaRoutes],
});
