import { z } from 'zod';
import type { Table } from '../storage/table';
import { TenantKeys, type OrgScope } from './org-scope';

/**
 * The organization record, at `ORG#<orgId>` / `ORG`: shared by every domain that works inside an
 * organization (the orgs domain writes it; projects read its key to seal secrets).
 */

/** One version of an organization's key, as stored (nothing in it is secret). */
export const OrgKeyRecordSchema = z.object({ version: z.number().int().positive(), wrapped: z.string(), rootKeyId: z.string(), envPublicKey: z.string() });

export const OrgRecord = z.object({
  orgId: z.string(),
  name: z.string(),
  /** Key versions, oldest first; the last one seals new secrets. Absent on organizations made before keys. */
  orgKeys: z.array(OrgKeyRecordSchema).optional(),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  version: z.number(),
});
export type OrgRecord = z.output<typeof OrgRecord>;

export async function getOrg(table: Table, scope: OrgScope): Promise<OrgRecord | undefined> {
  return table.get(TenantKeys.org(scope), OrgRecord, { consistent: true });
}

/** The key version new secrets of an organization are sealed under. */
export const currentOrgKey = (org: OrgRecord) => org.orgKeys?.at(-1);
