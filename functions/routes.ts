import { assertRouteTable, type Route } from './kernel/http/route';
import { auditRoutes } from './audit/audit-routes';
import { accountDeletionRoutes } from './identity/account-deletion-routes';
import { accountRoutes } from './identity/account-routes';
import { mfaRoutes } from './identity/mfa-routes';
import { sessionRoutes } from './identity/sessions-routes';
import { apiKeyRoutes } from './orgs/api-keys-routes';
import { invitationRoutes } from './orgs/invitations-routes';
import { memberRoutes } from './orgs/members-routes';
import { organizationRoutes } from './orgs/organizations-routes';
import { orgKeyRoutes } from './orgs/org-keys-routes';
import { platformRoutes } from './platform/platform-routes';
import { envRoutes } from './projects/env-routes';
import { projectRoutes } from './projects/projects-routes';
import { serviceRoutes } from './projects/services-routes';

/**
 * The route table: every endpoint of the API, declared once. It feeds the domain functions'
 * routers, the CDK REST API, the local gateway and the OpenAPI document.
 */
export const routeTable: readonly Route[] = [...platformRoutes, ...accountRoutes, ...sessionRoutes, ...mfaRoutes, ...accountDeletionRoutes, ...organizationRoutes, ...memberRoutes, ...invitationRoutes, ...apiKeyRoutes, ...orgKeyRoutes, ...projectRoutes, ...serviceRoutes, ...envRoutes, ...auditRoutes];

assertRouteTable(routeTable);
