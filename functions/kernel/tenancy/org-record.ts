import { z } from 'zod';
import type { OrgScope } from '../auth/org-scope';
import { ConflictError } from '../errors';
import { Conditions } from '../storage/conditions';
import { defineEntity, RecordStamps } from '../storage/entity';
import { Keys, Listings } from '../storage/keys';
import type { Table, TransactWrite } from '../storage/table';

/**
 * The organization record, at `ORG#<orgId>` / `ORG`: shared by every domain that works inside an
 * organization (the orgs domain writes it; projects read its key to seal secrets).
 */

/** One version of an organization's key, as stored (nothing in it is secret). */
export const OrgKeyRecordSchema = z.object({
  version: z.number().int().positive(),
  wrapped: z.string(),
  rootKeyId: z.string(),
  envPublicKey: z.string(),
  /** When the version was made (absent on the first keys, made before this was recorded). */
  createdAt: z.string().optional(),
});

export const OrgRecord = z.object({
  orgId: z.string(),
  name: z.string(),
  /** Key versions, oldest first; the last one seals new secrets. Absent on organizations made before keys. */
  orgKeys: z.array(OrgKeyRecordSchema).optional(),
  /**
   * The version new secrets must be sealed under (the last of `orgKeys`). A condition of every write
   * that seals one (`sealingKeyCheck`), so nothing is sealed under a version a rotation has replaced.
   * Absent on organizations that have never rotated and were made before it was recorded (version 1).
   */
  sealingKeyVersion: z.number().int().positive().optional(),
  ...RecordStamps,
});
export type OrgRecord = z.output<typeof OrgRecord>;

export const Orgs = defineEntity({ name: 'organization', schema: OrgRecord, key: Keys.org, queries: { items: Listings.orgItems } });

export async function getOrg(table: Table, scope: OrgScope): Promise<OrgRecord | undefined> {
  return table.read(Orgs.at(scope));
}

/** Replaces the organization record under optimistic locking (the version read is the version expected). */
export const updateOrgWrite = (scope: OrgScope, org: OrgRecord): TransactWrite => Orgs.at(scope).replace(org);

/** The key version new secrets of an organization are sealed under. */
export const currentOrgKey = (org: OrgRecord) => org.orgKeys?.at(-1);

/** The stored key that opens what was sealed under `version`, if the organization still holds it. */
export const orgKeyVersion = (org: OrgRecord, version: number) => org.orgKeys?.find((k) => k.version === version);

/**
 * A transaction item that holds only while `version` is still the organization's sealing key: a
 * write sealed under a key read just before a rotation committed fails instead of landing after
 * the rotation's re-seal has passed it by (which would leave a value under a retired key).
 */
export function sealingKeyCheck(scope: OrgScope, version: number): TransactWrite {
  const current = Conditions.attributeIs('sealingKeyVersion', version);
  // Organizations that never rotated may predate the attribute: version 1 then.
  const condition = version === 1 ? Conditions.any(Conditions.attributeAbsent('sealingKeyVersion'), current) : current;
  return Orgs.at(scope).check(condition, () => new OrgKeyRotatedError());
}

/** The organization's key rotated between reading it and writing a value sealed under it: seal again. */
export class OrgKeyRotatedError extends ConflictError {
  constructor() {
    super("The organization's key was rotated meanwhile; retry.");
  }
}
