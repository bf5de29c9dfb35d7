import { beforeAll, describe, expect, it } from 'vitest';
import { minimumRole, Roles, RoleRank, type Role } from '../../functions/kernel/auth/permissions';
import { pathParameterNames, type Route } from '../../functions/kernel/http/route';
import { routeTable } from '../../functions/routes';
import { actingAs, bearer, type TestUser } from '../support/identity';
import { uniqueId, useTestApi, type TestResponse } from '../support/platform';
import { addMember, createProject, createService, ownerWithOrg } from '../support/tenancy';

/**
 * The cross-tenant matrix, generated from the route table: a new route is attacked without anyone
 * writing a test for it. For every non-public route:
 *  - without credentials → 401;
 *  - (organization routes) by the owner of another organization, with the victim's ids → 404;
 *  - by each role of the victim organization below the route's minimum → 403;
 *  - by the owner of another organization, on their own organization but with the victim's ids in
 *    every other path parameter → 404;
 *  - (personal routes) by another user with the victim's ids → 404;
 *  - (organization routes) with an API key (owner role) of another organization → 404;
 *  - (every personal route) with an API key → 403: a key acts for an organization, not a person;
 * and no response body holds the victim's data.
 */

interface World {
  readonly orgId: string;
  readonly orgName: string;
  readonly owner: TestUser;
  readonly members: Record<Role, TestUser>;
  /** An owner-role API key of the organization. */
  readonly apiKey: string;
  /** Values for each path parameter name, created on demand. */
  readonly ids: Map<string, string>;
}

const protectedRoutes = routeTable.filter((r) => r.auth.kind !== 'public');
const orgRoutes = protectedRoutes.filter((r) => r.auth.kind === 'permission');
const personalRoutes = protectedRoutes.filter((r) => r.auth.kind === 'authenticated' && pathParameterNames(r.path).length > 0);
const everyPersonalRoute = protectedRoutes.filter((r) => r.auth.kind === 'authenticated');

const { api } = useTestApi();
let victim: World;
let attacker: World;

async function makeWorld(): Promise<World> {
  const orgName = `Tenant ${uniqueId()}`;
  const { owner, orgId } = await ownerWithOrg(api, orgName);
  const members = { owner } as Record<Role, TestUser>;
  for (const role of Roles.filter((r) => r !== 'owner')) members[role] = await addMember(api, orgId, role);
  const key = await api.request('POST', `/v1/orgs/${orgId}/api-keys`, { headers: bearer(owner.accessToken), body: { name: 'matrix', role: 'owner' } });
  expect(key.status, `creating the world's API key: ${key.text}`).toBe(201);
  return { orgId, orgName, owner, members, apiKey: key.json.key as string, ids: new Map([['orgId', orgId]]) };
}

/** How to obtain a value for each path parameter in a world. A new parameter needs a line here. */
const fixtures: Record<string, (w: World) => Promise<string>> = {
  orgId: async (w) => w.orgId,
  userId: async (w) => w.members.developer.userId,
  sessionId: async (w) => {
    const res = await api.request('GET', '/v1/auth/sessions', { headers: bearer(w.owner.accessToken) });
    return res.json.sessions[0].sessionId as string;
  },
  invitationId: async (w) => {
    const res = await api.request('POST', `/v1/orgs/${w.orgId}/invitations`, { headers: bearer(w.owner.accessToken), body: { email: `${uniqueId('inv')}@example.com`, role: 'viewer' } });
    expect(res.status, `creating an invitation fixture: ${res.text}`).toBe(201);
    return res.json.invitationId as string;
  },
  projectId: (w) => createProject(actingAs(api, w.owner), w.orgId),
  keyId: async (w) => {
    const res = await api.request('POST', `/v1/orgs/${w.orgId}/api-keys`, { headers: bearer(w.owner.accessToken), body: { name: 'fixture', role: 'viewer' } });
    expect(res.status, `creating an API key fixture: ${res.text}`).toBe(201);
    return res.json.keyId as string;
  },
  serviceId: async (w) => createService(actingAs(api, w.owner), w.orgId, await idFor(w, 'projectId')),
  // An environment variable name (a project-level variable of the world's project).
  name: async (w) => {
    const projectId = await idFor(w, 'projectId');
    const name = `MATRIX_${uniqueId().toUpperCase()}`;
    const res = await api.request('PUT', `/v1/orgs/${w.orgId}/projects/${projectId}/env/${name}`, { headers: bearer(w.owner.accessToken), body: { value: 'fixture' } });
    expect(res.status, `creating an environment variable fixture: ${res.text}`).toBe(200);
    return name;
  },
};

async function idFor(w: World, name: string): Promise<string> {
  const known = w.ids.get(name);
  if (known) return known;
  const fixture = fixtures[name];
  if (!fixture) throw new Error(`the cross-tenant matrix has no fixture for path parameter {${name}}: add one`);
  const value = await fixture(w);
  w.ids.set(name, value);
  return value;
}

/** The route's path with ids from `worlds[name] ?? base` for each parameter. */
async function pathFor(route: Route, base: World, overrides: Record<string, World> = {}): Promise<string> {
  let path = route.path as string;
  for (const name of pathParameterNames(route.path)) path = path.replace(`{${name}}`, await idFor(overrides[name] ?? base, name));
  return path;
}

const send = (route: Route, path: string, token?: string): Promise<TestResponse> =>
  api.request(route.method, path, {
    ...(token ? { headers: bearer(token) } : {}),
    // A body that would fail validation: refusals must come before the body is even read.
    ...(route.request?.body ? { body: {} } : {}),
  });

/** Nothing of the victim's may appear in a refusal: no names, emails or ids beyond those sent. */
function expectNoVictimData(res: TestResponse, sentPath: string) {
  const leaks = [victim.orgName, victim.apiKey, victim.owner.email, ...Object.values(victim.members).map((m) => m.email), ...victim.ids.values()].filter(
    (value) => !sentPath.includes(value),
  );
  for (const value of leaks) expect(res.text).not.toContain(value);
}

const label = (r: Route) => `${r.method} ${r.path}`;

beforeAll(async () => {
  [victim, attacker] = await Promise.all([makeWorld(), makeWorld()]);
  // Materialise every id the routes need, in both worlds, before any attack runs.
  const names = new Set(protectedRoutes.flatMap((r) => pathParameterNames(r.path)));
  for (const world of [victim, attacker]) for (const name of names) await idFor(world, name);
}, 120_000);

describe('cross-tenant matrix (generated from the route table)', () => {
  it('covers every protected route of the table', () => {
    expect(protectedRoutes.length).toBeGreaterThan(10);
    expect(orgRoutes.length).toBeGreaterThan(0);
  });

  it.each(protectedRoutes.map((r) => [label(r), r] as const))('%s refuses a request without credentials (401)', async (_label, route) => {
    const path = await pathFor(route, victim);
    const res = await send(route, path);
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('unauthenticated');
    expectNoVictimData(res, path);
  });

  it.each(orgRoutes.map((r) => [label(r), r] as const))('%s answers 404 to the owner of another organization', async (_label, route) => {
    const path = await pathFor(route, victim);
    const res = await send(route, path, attacker.owner.accessToken);
    expect(res.status).toBe(404);
    expectNoVictimData(res, path);
  });

  const belowMinimum = orgRoutes.flatMap((route) => {
    const needed = route.auth.kind === 'permission' ? minimumRole(route.auth.permission) : 'viewer';
    return Roles.filter((role) => RoleRank[role] < RoleRank[needed]).map((role) => [`${label(route)} as ${role}`, route, role] as const);
  });

  it.each(belowMinimum)('%s is forbidden (403)', async (_label, route, role) => {
    const path = await pathFor(route, victim);
    const res = await send(route, path, victim.members[role].accessToken);
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('forbidden');
  });

  // An environment variable name is chosen by whoever writes it, not issued to one tenant: a PUT of
  // any name in one's own project is a legitimate create. Other routes with a foreign name find nothing.
  const isChosenByWriter = (route: Route, name: string) => name === 'name' && route.method === 'PUT';
  const withForeignIds = orgRoutes.flatMap((route) =>
    pathParameterNames(route.path)
      .filter((name) => name !== 'orgId' && !isChosenByWriter(route, name))
      .map((name) => [`${label(route)} with the victim's {${name}}`, route, name] as const),
  );

  it.each(withForeignIds)('%s inside the attacker’s own organization answers 404', async (_label, route, name) => {
    const path = await pathFor(route, attacker, { [name]: victim });
    const res = await send(route, path, attacker.owner.accessToken);
    expect(res.status).toBe(404);
    expectNoVictimData(res, path);
  });

  it.each(personalRoutes.map((r) => [label(r), r] as const))('%s answers 404 to another user using the victim’s ids', async (_label, route) => {
    const path = await pathFor(route, victim);
    const res = await send(route, path, attacker.owner.accessToken);
    expect(res.status).toBe(404);
    expectNoVictimData(res, path);
  });

  it.each(orgRoutes.map((r) => [label(r), r] as const))('%s answers 404 to an API key of another organization', async (_label, route) => {
    const path = await pathFor(route, victim);
    const res = await send(route, path, attacker.apiKey);
    expect(res.status).toBe(404);
    expectNoVictimData(res, path);
  });

  it.each(everyPersonalRoute.map((r) => [label(r), r] as const))('%s refuses an API key (403: a key is not a person)', async (_label, route) => {
    const path = await pathFor(route, victim);
    const res = await send(route, path, attacker.apiKey);
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('forbidden');
    expectNoVictimData(res, path);
  });

  it('left the victim untouched', async () => {
    const members = await api.request('GET', `/v1/orgs/${victim.orgId}/members`, { headers: bearer(victim.owner.accessToken) });
    expect(members.status).toBe(200);
    expect(members.json.members).toHaveLength(Roles.length);
    const org = await api.request('GET', `/v1/orgs/${victim.orgId}`, { headers: bearer(victim.owner.accessToken) });
    expect(org.json.name).toBe(victim.orgName);
  });
});
