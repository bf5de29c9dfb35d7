import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { mintOrgScope, orgPartition, TenantKeys, type OrgScope } from '../kernel/auth/org-scope';
import { Roles, type Role } from '../kernel/auth/permissions';
import { Keys } from '../kernel/storage/keys';
import { Conditions, Writes, type Table, type TransactWrite } from '../kernel/storage/table';

/** Invitations last a week; the link's token is 256 random bits, stored only as its SHA-256. */
export const INVITATION_LIFETIME_SECONDS = 7 * 24 * 3600;

/** A pending invitation, at `ORG#<orgId>` / `INVITE#<invitationId>`. */
export const InvitationRecord = z.object({
  invitationId: z.string(),
  orgId: z.string(),
  email: z.string(),
  role: z.enum(Roles),
  invitedBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.number(),
  tokenHash: z.string(),
});
export type InvitationRecord = z.output<typeof InvitationRecord>;

const InvitationToken = z.object({ orgId: z.string(), invitationId: z.string() });

export const InvitationView = z.object({ invitationId: z.string(), email: z.string(), role: z.enum(Roles), invitedBy: z.string(), createdAt: z.string(), expiresAt: z.string() });
export const invitationView = (i: InvitationRecord): z.output<typeof InvitationView> => ({
  invitationId: i.invitationId,
  email: i.email,
  role: i.role,
  invitedBy: i.invitedBy,
  createdAt: i.createdAt,
  expiresAt: new Date(i.expiresAt * 1000).toISOString(),
});

const tokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** A new invitation: its record, the lookup of its token, and the token to mail (once). */
export function createInvitation(scope: OrgScope, email: string, role: Role, invitedBy: string, now: Date) {
  const invitationId = `inv_${randomBytes(16).toString('hex')}`;
  const token = randomBytes(32).toString('base64url');
  const expiresAt = Math.floor(now.getTime() / 1000) + INVITATION_LIFETIME_SECONDS;
  const record: InvitationRecord = { invitationId, orgId: scope.orgId, email, role, invitedBy, createdAt: now.toISOString(), expiresAt, tokenHash: tokenHash(token) };
  const writes: TransactWrite[] = [
    Writes.put({ ...TenantKeys.invitation(scope, invitationId), ...record }, Conditions.notExists),
    Writes.put({ ...Keys.invitationToken(record.tokenHash), orgId: scope.orgId, invitationId, expiresAt }, Conditions.notExists),
  ];
  return { record, token, writes };
}

export async function getInvitation(table: Table, scope: OrgScope, invitationId: string): Promise<InvitationRecord | undefined> {
  return table.get(TenantKeys.invitation(scope, invitationId), InvitationRecord, { consistent: true });
}

export async function listInvitations(table: Table, scope: OrgScope): Promise<InvitationRecord[]> {
  const out: InvitationRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.query({ schema: InvitationRecord, partition: orgPartition(scope), sortKeyPrefix: 'INVITE#', consistent: true, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** Removes an invitation and its token (revocation, or acceptance with the membership). */
export function removeInvitationWrites(scope: OrgScope, invitation: InvitationRecord): TransactWrite[] {
  return [
    Writes.delete(TenantKeys.invitation(scope, invitation.invitationId), Conditions.exists),
    // Conditional: of two acceptances of one link, one wins.
    Writes.delete(Keys.invitationToken(invitation.tokenHash), Conditions.exists),
  ];
}

/**
 * The invitation a token belongs to, if it is unexpired. Holding a valid invitation link is the
 * proof that lets its organization's scope be minted here, before the invitee is a member.
 */
export async function findInvitationByToken(table: Table, token: string): Promise<{ scope: OrgScope; invitation: InvitationRecord } | undefined> {
  const lookup = await table.get(Keys.invitationToken(tokenHash(token)), InvitationToken, { consistent: true });
  if (!lookup) return undefined;
  const scope = mintOrgScope(lookup.orgId);
  const invitation = await getInvitation(table, scope, lookup.invitationId);
  return invitation && invitation.tokenHash === tokenHash(token) ? { scope, invitation } : undefined;
}
