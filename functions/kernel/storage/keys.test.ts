import { describe, expect, it } from 'vitest';
import { mintOrgScope } from '../auth/org-scope';
import { IndexKeys, Keys, Listings, type ItemKey, type Listing } from './keys';

const scope = mintOrgScope('o_00000000000000000000000000000001');
const other = mintOrgScope('o_00000000000000000000000000000002');
const [project, service, user] = ['p_00000000000000000000000000000001', 'svc_00000000000000000000000000000001', 'u_00000000000000000000000000000001'];

/** One key of every entity that shares a partition with another: what a listing must tell apart. */
const keysOf = {
  org: Keys.org(scope),
  member: Keys.member(scope, user),
  invitation: Keys.invitation(scope, 'inv_00000000000000000000000000000001'),
  project: Keys.project(scope, project),
  projectName: Keys.projectName(scope, 'api'),
  service: Keys.service(scope, project, service),
  serviceName: Keys.serviceName(scope, project, 'web'),
  apiKey: Keys.apiKey(scope, '0123456789abcdef0123'),
  projectEnvVar: Keys.envVar(scope, project, undefined, 'DATABASE_URL'),
  serviceEnvVar: Keys.envVar(scope, project, service, 'DATABASE_URL'),
  projectEnvCount: Keys.envCount(scope, project, undefined),
  serviceEnvCount: Keys.envCount(scope, project, service),
  keyRotation: Keys.keyRotation(scope),
  deployment: Keys.deployment(scope, project, service, 'dep_000000000000000000000000000000a1'),
  otherServiceDeployment: Keys.deployment(scope, project, 'svc_00000000000000000000000000000002', 'dep_000000000000000000000000000000a2'),
  deploymentLock: Keys.deploymentLock(scope, project, service),
  foreignProject: Keys.project(other, project),
  profile: Keys.user(user),
  session: Keys.session(user, 's_00000000000000000000000000000001'),
  totp: Keys.totp(user),
  secondFactorFailures: Keys.secondFactorFailures(user),
  dataKey: Keys.userDataKey(user),
  signingKey: Keys.signingKey('k_0123456789abcdefgh'),
  activeSigningKey: Keys.activeSigningKey(),
  auditRecord: Keys.auditRecord('org:o_1', 1),
  auditHead: Keys.auditHead('org:o_1'),
} satisfies Record<string, ItemKey>;
type Entity = keyof typeof keysOf;

const selects = (listing: Listing, key: ItemKey) => key.pk === listing.partition && key.sk.startsWith(listing.sortKeyPrefix ?? '');
const selected = (listing: Listing) => (Object.keys(keysOf) as Entity[]).filter((entity) => selects(listing, keysOf[entity]));

describe('the key space', () => {
  it.each<[string, Listing, Entity[]]>([
    ['projectsOfOrg', Listings.projectsOfOrg(scope), ['project']],
    ['servicesOfProject', Listings.servicesOfProject(scope, project), ['service']],
    ['membersOfOrg', Listings.membersOfOrg(scope), ['member']],
    ['invitationsOfOrg', Listings.invitationsOfOrg(scope), ['invitation']],
    ['apiKeysOfOrg', Listings.apiKeysOfOrg(scope), ['apiKey']],
    ['envVarsOf a project', Listings.envVarsOf(scope, { projectId: project }), ['projectEnvVar']],
    ['envVarsOf a service', Listings.envVarsOf(scope, { projectId: project, serviceId: service }), ['serviceEnvVar']],
    ['envVarsOfOrg', Listings.envVarsOfOrg(scope), ['projectEnvVar', 'serviceEnvVar']],
    ['deploymentsOfService', Listings.deploymentsOfService(scope, project, service), ['deployment']],
    ['sessionsOfUser', Listings.sessionsOfUser(user), ['session']],
    ['signingKeys', Listings.signingKeys(), ['signingKey']],
    ['auditRecords', Listings.auditRecords('org:o_1'), ['auditRecord']],
  ])('lets the %s listing select exactly its own entity', (_name, listing, entities) => {
    expect(selected(listing)).toEqual(entities);
  });

  it('keeps a whole organization, and nothing of another, under its partition', () => {
    const orgItems = selected(Listings.orgItems(scope));
    expect(orgItems).toContain('keyRotation');
    expect(orgItems).not.toContain('foreignProject');
    expect(orgItems).not.toContain('profile');
  });

  it('lists memberships under their user through the index, one per organization', () => {
    const listing = Listings.membershipsOfUser(user);
    const index = IndexKeys.membershipOfUser(scope, user);
    expect(listing.index).toBe('gsi1');
    expect(Object.values(index)[0]).toBe(listing.partition);
    expect(Object.values(index)[1]!.startsWith(listing.sortKeyPrefix!)).toBe(true);
    expect(Object.values(IndexKeys.membershipOfUser(other, user))[1]).not.toBe(Object.values(index)[1]);
  });

  it('refuses key parts that would reach into another key space', () => {
    for (const id of ['', 'p#1', 'a/b', 'x'.repeat(256)]) expect(() => Keys.project(scope, id), id).toThrow(TypeError);
  });
});
