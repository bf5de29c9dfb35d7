import { ServiceUnavailableError } from '../kernel/errors';
import { implement, type BoundRoute } from '../kernel/http/implementation';
import { Keys } from '../kernel/storage/keys';
import { routeTable } from '../routes';
import { buildOpenApiDocument } from './openapi';
import { getHealth, getOpenApiDocument } from './platform-routes';

/** Bounded so that a hung storage call reports 503 well before API Gateway's 29 s timeout. */
const HEALTH_STORAGE_TIMEOUT_MS = 2_000;

let openApiDocument: Record<string, unknown> | undefined;

export const platformImplementations: readonly BoundRoute[] = [
  implement(getHealth, async (_input, { platform, logger }) => {
    try {
      await platform.table.ping(Keys.healthProbe(), HEALTH_STORAGE_TIMEOUT_MS);
    } catch (error) {
      logger.warn('Health check: storage unreachable', { error });
      throw new ServiceUnavailableError('Storage is unreachable.', error);
    }
    return { body: { status: 'ok' as const, version: platform.version } };
  }),

  implement(getOpenApiDocument, async (_input, { platform }) => {
    // Built once per instance: the route table does not change while it runs.
    openApiDocument ??= buildOpenApiDocument(routeTable, platform.version);
    return { body: openApiDocument as { openapi: '3.1.0' } };
  }),
];
