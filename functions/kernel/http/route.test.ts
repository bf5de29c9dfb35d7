import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assertRouteTable, defineRoute, type Route } from './route';

const base = {
  id: 'x',
  method: 'GET',
  path: '/v1/things/{thingId}',
  domain: 'platform',
  summary: 'x',
  auth: { kind: 'public' },
  rateLimit: 'general',
  request: { params: z.object({ thingId: z.string() }) },
  success: { status: 200, description: 'ok', schema: z.object({}) },
} as const;

describe('route', () => {
  describe('defineRoute', () => {
    it('accepts a complete declaration', () => {
      expect(defineRoute(base).path).toBe('/v1/things/{thingId}');
    });

    it('makes a route without an authorization requirement impossible to declare', () => {
      const { auth: _auth, ...withoutAuth } = base;
      // @ts-expect-error auth is required by the type
      expect(() => defineRoute(withoutAuth)).toThrow(/authorization/);
      // @ts-expect-error only the three kinds exist
      expect(() => defineRoute({ ...base, auth: { kind: 'anyone' } })).toThrow(/authorization/);
      // @ts-expect-error permissions come from the matrix
      expect(() => defineRoute({ ...base, auth: { kind: 'permission', permission: 'org:anything' } })).toThrow(/permission/);
      // A permission is held in an organization: the path must name it.
      expect(() => defineRoute({ ...base, auth: { kind: 'permission', permission: 'org:read' } })).toThrow(/orgId/);
    });

    it('requires a rate-limit class', () => {
      // @ts-expect-error rateLimit must be one of the declared classes
      expect(() => defineRoute({ ...base, rateLimit: 'unlimited' })).toThrow(/rate-limit/);
    });

    it('requires a params schema with exactly the path parameters', () => {
      expect(() => defineRoute({ ...base, request: {} })).toThrow(/path parameters/);
      expect(() => defineRoute({ ...base, request: { params: z.object({ thingId: z.string(), other: z.string() }) } })).toThrow(/path parameters/);
    });

    it('refuses a body on GET, and malformed paths', () => {
      expect(() => defineRoute({ ...base, request: { ...base.request, body: z.object({}) } })).toThrow(/no body/);
      expect(() => defineRoute({ ...base, path: '/v1/things/{thingId}/' })).toThrow(/invalid path/);
      expect(() => defineRoute({ ...base, path: '/v1/Things/{thingId}' })).toThrow(/invalid path/);
    });

    it('refuses JSON Lines on a 204, which has no body', () => {
      expect(defineRoute({ ...base, success: { ...base.success, contentType: 'application/x-ndjson' } }).success.contentType).toBe('application/x-ndjson');
      expect(() => defineRoute({ ...base, success: { ...base.success, status: 204, contentType: 'application/x-ndjson' } })).toThrow(/JSON Lines/);
    });
  });

  describe('assertRouteTable', () => {
    it('refuses duplicate ids and duplicate endpoints', () => {
      const a = defineRoute(base) as Route;
      expect(() => assertRouteTable([a, { ...a, path: '/v1/other/{thingId}' } as Route])).toThrow(/duplicate route id/);
      expect(() => assertRouteTable([a, { ...a, id: 'y' } as Route])).toThrow(/duplicate endpoint/);
    });
  });
});
