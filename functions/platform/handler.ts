import { createApiHandler } from '../kernel/http/api-handler';
import { implement } from '../kernel/http/implementation';
import { ServiceUnavailableError } from '../kernel/errors';
import { Keys } from '../kernel/storage/keys';
import { routeTable } from '../routes';
import { buildOpenApiDocument } from './openapi';
import { getHealth, getOpenApiDocument } from './routes';


/** Bounded so that a hung storage call reports 503 well before API Gateway's 29 s timeout. */
const HEALTH_STORAGE_TIMEOUT_MS = 2_000;

let openApiDocument: Record<string, unknown> | undefined;

/**
 * The platform function: health, the OpenAPI document, and the answers (404/405) for paths and
 * methods no route declares (API Gateway sends those here through the catch-all resources).
 */
export const handler = createApiHandler('platform', [
    implement(getHealth, async (_input, { platform, logger: log }) => {
      try {
        await platform.table.ping(Keys.healthProbe(), HEALTH_STORAGE_TIMEOUT_MS);
      } catch (error) {
        log.warn('Health check: storage unreachable', { error });
        throw new ServiceUnavailableError('Storage is unreachable.', error);
      }
      return { body: { status: 'ok' as const, version: platform.version } };
    }),
    implement(getOpenApiDocument, async (_input, { platform }) => {
      openApiDocument ??= buildOpenApiDocument(routeTable, platform.version);
      return { body: openApiDocument as { openapi: '3.1.0' } };
    }),
  ], { answersFor: routeTable });
