import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../functions/platform/openapi';
import { routeTable } from '../../functions/routes';

describe('OpenAPI document', () => {
  const document = buildOpenApiDocument(routeTable, '1.2.3');

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(document as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('lists every route of the route table with its operation id, auth and rate-limit class', () => {
    const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
    for (const route of routeTable) {
      const op = paths[route.path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op!.operationId).toBe(route.id);
      expect(op!['x-rampart-auth']).toEqual(route.auth);
      expect(op!['x-rampart-rate-limit']).toBe(route.rateLimit);
    }
    const operations = Object.values(paths).flatMap((p) => Object.keys(p));
    expect(operations.length).toBe(routeTable.length);
  });

  it('documents a JSON Lines export under its own content type, and JSON everywhere else', () => {
    const paths = document.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
    expect(Object.keys(paths['/v1/orgs/{orgId}/audit/export']!.get!.responses['200']!.content!)).toEqual(['application/x-ndjson']);
    expect(Object.keys(paths['/v1/orgs/{orgId}/audit']!.get!.responses['200']!.content!)).toEqual(['application/json']);
  });

  it('documents the shared error shape', () => {
    const schemas = (document.components as { schemas: Record<string, unknown> }).schemas;
    expect(JSON.stringify(schemas.Error)).toContain('requestId');
  });
});
