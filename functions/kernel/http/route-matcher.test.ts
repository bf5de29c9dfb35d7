import { describe, expect, it } from 'vitest';
import type { Route } from './route';
import { RouteMatcher } from './route-matcher';

const route = (method: string, path: string) => ({ id: `${method} ${path}`, method, path }) as unknown as Route;

describe('RouteMatcher', () => {
  const matcher = new RouteMatcher([
    route('GET', '/v1/orgs'),
    route('POST', '/v1/orgs'),
    route('GET', '/v1/orgs/{orgId}'),
    route('GET', '/v1/orgs/{orgId}/members'),
    route('GET', '/v1/orgs/mine'),
  ]);

  it('matches templates and extracts path parameters', () => {
    expect(matcher.match('/v1/orgs/o_1/members')).toEqual({ resource: '/v1/orgs/{orgId}/members', pathParameters: { orgId: 'o_1' } });
  });

  it('prefers a literal segment over a parameter, as API Gateway does', () => {
    expect(matcher.match('/v1/orgs/mine')?.resource).toBe('/v1/orgs/mine');
  });

  it('returns nothing for unknown paths, empty segments and trailing slashes', () => {
    for (const path of ['/v1/nope', '/v1/orgs/', '/v1//orgs', '/v1/orgs/o_1/members/x', 'v1/orgs']) expect(matcher.match(path), path).toBeUndefined();
  });

  it('lists the methods of a resource for the Allow header', () => {
    expect(matcher.allowedMethods('/v1/orgs').sort()).toEqual(['GET', 'POST']);
    expect(matcher.route('/v1/orgs', 'DELETE')).toBeUndefined();
  });

  it('refuses two names for one parameter position', () => {
    expect(() => new RouteMatcher([route('GET', '/v1/orgs/{orgId}'), route('GET', '/v1/orgs/{id}/x')])).toThrow(/conflicting/);
  });
});
