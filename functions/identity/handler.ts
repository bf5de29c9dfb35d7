import { createApiHandler } from '../kernel/http/api-handler';
import { accountDeletionImplementations } from './account-deletion-implementations';
import { accountImplementations } from './account-implementations';
import { mfaImplementations } from './mfa-implementations';
import { sessionImplementations } from './sessions-implementations';

/** The identity function: accounts and their deletion, sessions with a second factor, the JWKS. */
export const handler = createApiHandler('identity', [...accountImplementations, ...sessionImplementations, ...mfaImplementations, ...accountDeletionImplementations]);
