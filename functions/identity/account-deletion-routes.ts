import { z } from 'zod';
import { defineRoute, signedIn } from '../kernel/http/route';
import { NoContent } from '../kernel/http/schemas';
import { Password } from './account';
import { TotpOrRecoveryCode } from './mfa';

const DeletionConfirmation = z.object({ password: Password, code: TotpOrRecoveryCode.optional() });

export const deleteMe = defineRoute({
  id: 'deleteMe',
  method: 'DELETE',
  path: '/v1/me',
  domain: 'identity',
  summary: 'Deletes my account',
  description: 'After my password (and a TOTP or recovery code when two-factor is on), I leave every organization, my sessions end and my personal data is shredded. Refused (409) while I am the last owner of an organization.',
  auth: signedIn,
  rateLimit: 'reauth',
  request: {
    body: DeletionConfirmation,
  },
  success: {
    status: 204,
    description: 'Account deleted',
    schema: NoContent,
  },
  errors: [409, 412],
});

export const accountDeletionRoutes = [deleteMe] as const;
