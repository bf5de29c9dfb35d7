import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRequest } from '../../../test/support/api-request';
import { MethodNotAllowedError, NotFoundError } from '../errors';
import { FALLBACK_RESOURCE, resolveRoute } from './resolve-route';
import { defineRoute } from './route';

const route = (id: string, method: 'GET' | 'POST', domain: 'platform' | 'projects') =>
  defineRoute({ id, method, path: '/v1/things/{thingId}', domain, summary: id, auth: { kind: 'public' }, rateLimit: 'general', request: { params: z.object({ thingId: z.string() }) }, success: { status: 200, description: 'ok', schema: z.object({}) } });
const getThing = route('getThing', 'GET', 'projects');
const postThing = route('postThing', 'POST', 'projects');

const resolve = (resource: string, httpMethod: string, options: Parameters<typeof resolveRoute>[0]) => {
  const request = testRequest({ resource, httpMethod });
  resolveRoute(options).before!(request);
  return request.internal.route;
};

describe('resolveRoute', () => {
  it('finds the route of the proxy event by resource and method', () => {
    expect(resolve('/v1/things/{thingId}', 'GET', { routes: [getThing, postThing] })).toBe(getThing);
  });

  it('answers 405 with the methods of a known path, and 404 for the catch-all or an unknown path', () => {
    expect(() => resolve('/v1/things/{thingId}', 'DELETE', { routes: [getThing] })).toThrow(MethodNotAllowedError);
    expect(() => resolve(FALLBACK_RESOURCE, 'GET', { routes: [getThing] })).toThrow(NotFoundError);
    expect(() => resolve('/v1/nothing', 'GET', { routes: [getThing] })).toThrow(NotFoundError);
  });

  it("answers for the whole table when told to (the fallback function), listing another function's methods", () => {
    let thrown: unknown;
    try {
      resolve('/v1/things/{thingId}', 'PUT', { routes: [], answersFor: [getThing, postThing] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MethodNotAllowedError);
    expect((thrown as MethodNotAllowedError).headers).toEqual({ Allow: 'GET, POST' });
  });

  it("refuses, as a wiring mistake (500), another function's route", () => {
    expect(() => resolve('/v1/things/{thingId}', 'POST', { routes: [getThing], answersFor: [getThing, postThing] })).toThrow(/not served by this function/);
  });
});
