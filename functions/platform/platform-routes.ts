import { z } from 'zod';
import { anyone, defineRoute } from '../kernel/http/route';

const Health = z.object({ status: z.literal('ok'), version: z.string() });
/** Checked no further than its version: the document is built from this route table. */
const OpenApiDocument = z.looseObject({ openapi: z.literal('3.1.0') });

export const getHealth = defineRoute({
  id: 'getHealth',
  method: 'GET',
  path: '/v1/health',
  domain: 'platform',
  summary: 'Reports whether the API and its storage are up',
  description: 'Answers ok and the deployed version once a storage round trip completed, to anyone; a 503 when storage does not answer within 2 seconds.',
  auth: anyone,
  rateLimit: 'general',
  success: {
    status: 200,
    description: 'The API answered and completed a storage round trip',
    schema: Health,
  },
  errors: [503],
});

export const getOpenApiDocument = defineRoute({
  id: 'getOpenApiDocument',
  method: 'GET',
  path: '/v1/openapi.json',
  domain: 'platform',
  summary: 'Describes every route of this API in OpenAPI 3.1',
  description: 'Answers the OpenAPI 3.1 document of the whole route table, to anyone: operations, schemas, authorization and rate-limit classes.',
  auth: anyone,
  rateLimit: 'general',
  success: {
    status: 200,
    description: 'An OpenAPI 3.1 document',
    schema: OpenApiDocument,
  },
});

export const platformRoutes = [getHealth, getOpenApiDocument] as const;
