import { createApiHandler } from '../kernel/http/api-handler';
import { routeTable } from '../routes';
import { platformImplementations } from './platform-implementations';

/**
 * The platform function: health, the OpenAPI document, and the answers (404/405) for paths and
 * methods no route declares (API Gateway sends those here through the catch-all resources).
 */
export const handler = createApiHandler('platform', platformImplementations, { answersFor: routeTable });
