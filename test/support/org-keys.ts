import { mintOrgScope } from '../../functions/kernel/auth/org-scope';
import type { OrgKeyRecord } from '../../functions/kernel/keys/org-keys';
import { currentOrgKey, getOrg } from '../../functions/kernel/tenancy/org-record';
import type { TestApi } from './platform';

/** The organization's current key record (written at its creation), as the deploy path would read it. */
export async function orgKeyOf(api: TestApi, orgId: string): Promise<OrgKeyRecord> {
  const org = await getOrg(api.platform.table, mintOrgScope(orgId));
  const record = org ? currentOrgKey(org) : undefined;
  if (!record) throw new Error(`organization ${orgId} has no key`);
  return record;
}
