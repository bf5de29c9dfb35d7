import { createApiHandler } from '../kernel/http/api-handler';
import { apiKeyImplementations } from './api-keys-implementations';
import { invitationImplementations } from './invitations-implementations';
import { memberImplementations } from './members-implementations';
import { organizationImplementations } from './organizations-implementations';
import { orgKeyImplementations } from './org-keys-implementations';

/** The organizations function: organizations, members, invitations, API keys and organization keys. */
export const handler = createApiHandler('orgs', [
  ...organizationImplementations,
  ...memberImplementations,
  ...invitationImplementations,
  ...apiKeyImplementations,
  ...orgKeyImplementations,
]);
