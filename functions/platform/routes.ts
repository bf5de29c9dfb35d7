import { z } from 'zod';
import { defineRoute } from '../kernel/http/route';

export const getHealth = defineRoute({
  id: 'getHealth',
  method: 'GET',
  path: '/v1/health',
  domain: 'platform',
  summary: 'Reports whether the API and its storage are up',
  auth: { kind: 'public' },
  rateLimit: 'general',
  success: {
    status: 200,
    description: 'The API answered and completed a storage round trip',
    schema: z.object({ status: z.literal('ok'), version: z.string() }),
  },
  errors: [503],
});

export const getOpenApiDocument = defineRoute({
  id: 'getOpenApiDocument',
  method: 'GET',
  path: '/v1/openapi.json',
  domain: 'platform',
  summary: 'The OpenAPI 3.1 description of every route of this API',
  auth: { kind: 'public' },
  rateLimit: 'general',
  success: {
    status: 200,
    description: 'An OpenAPI 3.1 document',
    schema: z.looseObject({ openapi: z.literal('3.1.0') }),
  },
});

export const platformRoutes = [getHealth, getOpenApiDocument] as const;
