import { assertRouteTable, type Route } from './kernel/http/route';
import { auditRoutes } from './audit/routes';
import { identityRoutes } from './identity/routes';
import { orgRoutes } from './orgs/routes';
import { platformRoutes } from './platform/routes';
import { projectRoutes } from './projects/routes';

/**
 * The route table: every endpoint of the API, declared once. It feeds the domain functions'
 * routers, the CDK REST API, the local gateway and the OpenAPI document.
 */
export const routeTable: readonly Route[] = [...platformRoutes, ...identityRoutes, ...orgRoutes, ...projectRoutes, ...auditRoutes];

assertRouteTable(routeTable);
