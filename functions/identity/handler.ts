import { createApiHandler } from '../kernel/http/api-handler';
import { accountRoutes } from './account';
import { accountDeletionRoutes } from './account-deletion';
import { loginRoutes } from './login';
import { mfaRoutes } from './mfa';


/**
 * The identity function: accounts (and their deletion), email verification, password reset, login
 * with a second factor, sessions and refresh tokens, the JWKS.
 */
export const handler = createApiHandler('identity', [...accountRoutes, ...accountDeletionRoutes, ...loginRoutes, ...mfaRoutes]);
