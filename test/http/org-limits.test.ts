import { describe, expect, it } from 'vitest';
import { NamedBuckets } from '../../functions/kernel/rate-limit/policies';
import { actingAs, mailTo, signUpVerifiedUser } from '../support/identity';
import { uniqueId, useTestApi } from '../support/platform';
import { ownerWithOrg } from '../support/tenancy';

/** What one person can make others pay for: organizations founded, invitations mailed to one address. */
describe('organization limits', () => {
  const { api } = useTestApi();

  it('caps the organizations one account founds in a day (429 beyond), not those of others', async () => {
    const founder = actingAs(api, await signUpVerifiedUser(api, api.outbox));
    const { limit } = NamedBuckets.orgsByUser;
    for (let i = 0; i < limit; i++) expect((await founder.post('/v1/orgs', { name: `Org ${i}` })).status).toBe(201);
    const refused = await founder.post('/v1/orgs', { name: 'One too many' });
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await founder.get('/v1/orgs')).json.orgs).toHaveLength(limit);
    expect((await actingAs(api, await signUpVerifiedUser(api, api.outbox)).post('/v1/orgs', { name: 'Someone else' })).status).toBe(201);
  });

  it("counts invitations against the recipient's mail budget, whichever organization sends them (429, nothing created)", async () => {
    const email = `${uniqueId('popular')}@example.com`;
    const { limit } = NamedBuckets.mailByEmail;
    for (let i = 0; i < limit; i++) {
      const { owner, orgId } = await ownerWithOrg(api);
      expect((await actingAs(api, owner).post(`/v1/orgs/${orgId}/invitations`, { email, role: 'viewer' })).status).toBe(201);
    }
    const { owner, orgId } = await ownerWithOrg(api);
    const refused = await actingAs(api, owner).post(`/v1/orgs/${orgId}/invitations`, { email, role: 'viewer' });
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe('rate_limited');
    expect((await actingAs(api, owner).get(`/v1/orgs/${orgId}/invitations`)).json.invitations).toEqual([]);
    expect(await mailTo(api.outbox, email)).toHaveLength(limit);
  });
});
