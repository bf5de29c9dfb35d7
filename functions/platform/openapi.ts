import { z } from 'zod';
import type { Domain } from '../kernel/domains';
import { ErrorBody } from '../kernel/http/error-renderer';
import { pathParameterNames, type Route } from '../kernel/http/route';

/**
 * The OpenAPI 3.1 document of the route table. Every request and response body is a named
 * component schema, so code generators (openapi-typescript and others) give named types: a schema
 * named with zod's `.meta({ id })` keeps its name wherever it is used, any other body is named after
 * its route (`CreateProjectRequest`, `GetOrgResponse`). Both Redocly's `recommended` and Spectral's
 * `spectral:oas` rulesets pass without a warning (test/http/openapi.test.ts runs them).
 */

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

/** The operations' tags: one per domain, in the order a reader meets them. */
export const DomainTags: Readonly<Record<Domain, string>> = {
  platform: 'Health of the API and this description of it.',
  identity: 'Accounts, email verification, passwords, sessions and two-factor authentication; the keys that verify access tokens.',
  orgs: 'Organizations, their members, invitations, API keys and the organization key.',
  projects: 'Projects, their services and the write-only environment variables of both.',
  audit: "An organization's hash-chained audit trail: records, verification and export.",
};

export interface OpenApiOptions {
  /** @default the deployed API's URL template and the local platform */
  readonly servers?: readonly { readonly url: string; readonly description: string }[];
}

/** Where the API is served: API Gateway's default endpoint of a stage, and `npm start`. */
const DEFAULT_SERVERS = [
  {
    url: 'https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}',
    description: 'A deployed stage (the RampartApi stack outputs its URL)',
    variables: {
      restApiId: { default: 'abcdef1234', description: 'The REST API id' },
      region: { default: 'eu-west-1', description: 'The AWS region of the deployment' },
      stage: { default: 'prod', description: 'The stage (the CDK `stage` context)' },
    },
  },
  { url: 'http://127.0.0.1:3000', description: 'The local platform (`npm start`)' },
];

type JsonSchema = Record<string, unknown>;
type Io = 'input' | 'output';

const COMPONENTS = '#/components/schemas/';
const pascal = (id: string) => id.charAt(0).toUpperCase() + id.slice(1);

/** Zod's own names (`.meta({ id })`): every named schema keeps its name in the document. */
const namedSchemas = (): Map<string, z.ZodType> => new Map(z.globalRegistry._idmap as Map<string, z.ZodType>);
const idOf = (schema: z.ZodType): string | undefined => z.globalRegistry.get(schema)?.id as string | undefined;

/**
 * Component schemas for one direction (`input` for request bodies, `output` for responses): the
 * bodies of the routes, under their own name or their route's, and every named schema they use.
 */
function componentsFor(io: Io, bodies: ReadonlyMap<z.ZodType, string>, uri: (id: string) => string): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of namedSchemas()) registry.add(schema, { id });
  for (const [schema, id] of bodies) if (!idOf(schema)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, unrepresentable: 'any', uri }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]));
}

/** The body schemas of every route in one direction, each with the name it is known by. */
function bodiesOf(routes: readonly Route[], io: Io): Map<z.ZodType, string> {
  const bodies = new Map<z.ZodType, string>();
  for (const route of routes) {
    const schema = io === 'input' ? route.request?.body : route.success.status === 204 ? undefined : route.success.schema;
    if (schema && !bodies.has(schema)) bodies.set(schema, idOf(schema) ?? `${pascal(route.id)}${io === 'input' ? 'Request' : 'Response'}`);
  }
  return bodies;
}

/** Inline JSON Schema for a parameter (parameters are not components). */
const inlineSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

function parameters(route: Route): JsonSchema[] {
  const out: JsonSchema[] = [];
  const params = route.request?.params;
  for (const name of pathParameterNames(route.path)) {
    const schema = params?.shape[name] as z.ZodType | undefined;
    out.push({ name, in: 'path', required: true, schema: schema ? inlineSchema(schema) : { type: 'string' } });
  }
  for (const [name, schema] of Object.entries(route.request?.query?.shape ?? {})) {
    const s = schema as z.ZodType;
    out.push({ name, in: 'query', required: !s.safeParse(undefined).success, schema: inlineSchema(s) });
  }
  return out;
}

function operation(route: Route, names: { request?: string | undefined; response?: string | undefined }): JsonSchema {
  const ref = (name: string) => ({ $ref: `${COMPONENTS}${name}` });
  const errorResponse = (status: number) => ({ description: ERROR_DESCRIPTIONS[status] ?? 'Error', content: { 'application/json': { schema: ref('Error') } } });
  const errorStatuses = new Set<number>([...(route.errors ?? []), 429, 500]);
  if (route.request?.body) [400, 413, 415].forEach((s) => errorStatuses.add(s));
  if (route.request?.params || route.request?.query) errorStatuses.add(400);
  if (route.auth.kind !== 'public') [401, 403].forEach((s) => errorStatuses.add(s));
  // An id in the path may name nothing the caller can see; an organization not theirs is a 404 too.
  if (pathParameterNames(route.path).length > 0 || route.auth.kind === 'permission') errorStatuses.add(404);
  const success =
    route.success.status === 204 || !names.response
      ? { description: route.success.description }
      : {
          description: route.success.description,
          // For JSON Lines the schema is that of one line (OpenAPI 3.1 has no per-item schema).
          content: { [route.success.contentType ?? 'application/json']: { schema: ref(names.response) } },
        };
  return {
    operationId: route.id,
    summary: route.summary,
    description: route.description ?? route.summary,
    tags: [route.domain],
    security: route.auth.kind === 'public' ? [] : [{ bearer: [] }],
    'x-rampart-auth': route.auth,
    'x-rampart-rate-limit': route.rateLimit,
    parameters: parameters(route),
    ...(names.request ? { requestBody: { required: true, content: { 'application/json': { schema: ref(names.request) } } } } : {}),
    responses: {
      [String(route.success.status)]: success,
      ...Object.fromEntries([...errorStatuses].sort().map((s) => [String(s), errorResponse(s)])),
    },
  };
}

/** Drops the components no operation reaches (named schemas of other routes' tables, tests). */
function reachable(paths: JsonSchema, components: Record<string, JsonSchema>): Record<string, JsonSchema> {
  const seen = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith(COMPONENTS)) {
        const name = inner.slice(COMPONENTS.length);
        if (!seen.has(name)) {
          seen.add(name);
          visit(components[name]);
        }
      } else visit(inner);
    }
  };
  visit(paths);
  return Object.fromEntries(Object.entries(components).filter(([name]) => seen.has(name)).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The OpenAPI 3.1 document of the whole route table. */
export function buildOpenApiDocument(routes: readonly Route[], version: string, options: OpenApiOptions = {}): JsonSchema {
  const requests = bodiesOf(routes, 'input');
  const responses = bodiesOf(routes, 'output');
  const output = componentsFor('output', new Map([...responses, [ErrorBody, 'Error']]), (id) => `${COMPONENTS}${id}`);
  let input = componentsFor('input', requests, (id) => `${COMPONENTS}${id}`);
  // A named schema that reads differently as a request (defaults, transforms, or a part that does)
  // gets an input name of its own.
  const shared = Object.keys(input).filter((id) => id in output);
  const differs = new Set(shared.filter((id) => JSON.stringify(input[id]) !== JSON.stringify(output[id])));
  for (let grew = true; grew; ) {
    grew = false;
    for (const id of shared) {
      if (differs.has(id) || ![...differs].some((other) => JSON.stringify(input[id]).includes(`"${COMPONENTS}${other}"`))) continue;
      differs.add(id);
      grew = true;
    }
  }
  const inputName = (id: string) => (differs.has(id) ? `${id}Input` : id);
  if (differs.size > 0) {
    input = Object.fromEntries(
      Object.entries(componentsFor('input', requests, (id) => `${COMPONENTS}${inputName(id)}`)).map(([id, schema]) => [inputName(id), schema]),
    );
  }

  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const request = route.request?.body ? inputName(requests.get(route.request.body)!) : undefined;
    const response = route.success.status === 204 ? undefined : responses.get(route.success.schema);
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, { request, response });
  }
  const domains = new Set(routes.map((r) => r.domain));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rampart API',
      version,
      summary: 'The control plane of the Rampart container platform',
      description:
        'Control plane of the Rampart container platform, in your own AWS account. Every error has the shape {"error":{"code","message","requestId"}}; every response carries an x-request-id header and the rate-limit headers of its bucket.',
      contact: { name: 'Rampart maintainers' },
      license: { name: 'Proprietary (all rights reserved)', identifier: 'LicenseRef-Rampart-Proprietary' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: options.servers ?? DEFAULT_SERVERS,
    tags: (Object.keys(DomainTags) as Domain[]).filter((d) => domains.has(d)).map((name) => ({ name, description: DomainTags[name] })),
    paths,
    components: {
      schemas: reachable(paths, { ...output, ...input }),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An access token (JWT) or an API key (rmp_…)' },
      },
    },
  };
}
