import { z } from 'zod';
import { ErrorBody } from '../kernel/http/error-renderer';
import { pathParameterNames, type Route } from '../kernel/http/route';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid (malformed JSON, unknown field, failed validation)',
  401: 'Authentication is missing or invalid',
  403: 'The caller may not do this',
  404: 'No such resource (or not visible to the caller)',
  405: 'The path exists but not with this method',
  409: 'The change conflicts with the current state',
  412: 'The resource changed since it was read',
  413: 'The request body is larger than 64 KiB',
  415: 'The request body is not JSON',
  429: 'Rate limit exceeded; see Retry-After',
  500: 'An unexpected error (reported with its request id)',
  503: 'A dependency is unavailable',
};

type JsonSchema = Record<string, unknown>;

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

function parameters(route: Route): JsonSchema[] {
  const out: JsonSchema[] = [];
  const params = route.request?.params;
  for (const name of pathParameterNames(route.path)) {
    const schema = params?.shape[name] as z.ZodType | undefined;
    out.push({ name, in: 'path', required: true, schema: schema ? jsonSchema(schema, 'input') : { type: 'string' } });
  }
  for (const [name, schema] of Object.entries(route.request?.query?.shape ?? {})) {
    const s = schema as z.ZodType;
    out.push({ name, in: 'query', required: !s.safeParse(undefined).success, schema: jsonSchema(s, 'input') });
  }
  return out;
}

function operation(route: Route): JsonSchema {
  const errorResponse = (status: number) => ({
    description: ERROR_DESCRIPTIONS[status] ?? 'Error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  const errorStatuses = new Set<number>([...(route.errors ?? []), 500]);
  if (route.request?.body) [400, 413, 415].forEach((s) => errorStatuses.add(s));
  if (route.request?.params || route.request?.query) errorStatuses.add(400);
  if (route.auth.kind !== 'public') [401, 403].forEach((s) => errorStatuses.add(s));
  errorStatuses.add(429);
  const success =
    route.success.status === 204
      ? { description: route.success.description }
      : {
          description: route.success.description,
          // For JSON Lines the schema is that of one line (OpenAPI 3.1 has no per-item schema).
          content: { [route.success.contentType ?? 'application/json']: { schema: jsonSchema(route.success.schema, 'output') } },
        };
  return {
    operationId: route.id,
    summary: route.summary,
    tags: [route.domain],
    security: route.auth.kind === 'public' ? [] : [{ bearer: [] }],
    'x-rampart-auth': route.auth,
    'x-rampart-rate-limit': route.rateLimit,
    parameters: parameters(route),
    ...(route.request?.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.request.body, 'input') } } } }
      : {}),
    responses: {
      [String(route.success.status)]: success,
      ...Object.fromEntries([...errorStatuses].sort().map((s) => [String(s), errorResponse(s)])),
    },
  };
}

/** The OpenAPI 3.1 document of the whole route table. */
export function buildOpenApiDocument(routes: readonly Route[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rampart API',
      version,
      description: 'Control plane of the Rampart container platform. Every error has the shape {"error":{"code","message","requestId"}}.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas: { Error: jsonSchema(ErrorBody, 'output') },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An access token (JWT) or an API key (rmp_…)' },
      },
    },
  };
}
