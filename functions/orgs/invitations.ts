import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { EmailIndex } from '../kernel/accounts/email-index';
import { apiKeyLiveCheck, liveApiKey } from '../kernel/auth/api-key-credentials';
import { mintOrgScope, type OrgScope } from '../kernel/auth/org-scope';
import { lowerRole, roleAllows, Roles, type Role } from '../kernel/auth/permissions';
import { ForbiddenError } from '../kernel/errors';
import { Ids } from '../kernel/ids';
import { openSealed, seal, SealedValueError, type SealingKey } from '../kernel/keys/aead';
import { cacheKeyOf, DataKeyCache } from '../kernel/keys/data-key-cache';
import type { EncryptionContext, KeyProvider } from '../kernel/keys/key-provider';
import { KeyPurposes } from '../kernel/keys/purposes';
import { Conditions } from '../kernel/storage/conditions';
import { defineEntity } from '../kernel/storage/entity';
import { Keys, Listings } from '../kernel/storage/keys';
import type { Table, TransactWrite } from '../kernel/storage/table';
import { getMembership, roleStillOneOfCheck } from '../kernel/tenancy/memberships';
import { grantRefusal, type Grantor } from './members';

/** Invitations last a week; the link's token is 256 random bits, stored only as its SHA-256. */
export const INVITATION_LIFETIME_SECONDS = 7 * 24 * 3600;

/**
 * A pending invitation, at `ORG#<orgId>` / `INVITE#<invitationId>`. The invitee's address is
 * personal data: it is sealed under a data key of the invitation's own (PII key, context
 * `{purpose: invitation-pii, org, invitation}`), wrapped on the item, so deleting the invitation
 * (accepted, revoked, expired, or with its organization) shreds the address with it.
 */
export const InvitationRecord = z.object({
  invitationId: z.string(),
  orgId: z.string(),
  /** The address's lookup hash (`EmailIndex.lookupHash`): acceptance compares it with the invitee's. */
  emailHash: z.string().optional(),
  /** The address, sealed under the invitation's data key. */
  sealedEmail: z.string().optional(),
  /** The invitation's data key, wrapped by the PII key. */
  dataKey: z.object({ wrapped: z.string(), rootKeyId: z.string() }).optional(),
  /** The address in the clear: invitations stored before addresses were sealed (gone within 7 days). */
  email: z.string().optional(),
  role: z.enum(Roles),
  invitedBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.number(),
  tokenHash: z.string(),
});
export type InvitationRecord = z.output<typeof InvitationRecord>;

const Invitations = defineEntity({ name: 'invitation', schema: InvitationRecord, key: Keys.invitation, queries: { ofOrg: Listings.invitationsOfOrg } });

/** An invitation's token, by its SHA-256 (expiring with the invitation): how the link finds it. */
const InvitationTokens = defineEntity({
  name: 'invitation token',
  schema: z.object({ orgId: z.string(), invitationId: z.string() }),
  key: Keys.invitationToken,
});

export const InvitationView = z.object({ invitationId: z.string(), email: z.string(), role: z.enum(Roles), invitedBy: z.string(), createdAt: z.string(), expiresAt: z.string() }).meta({ id: 'Invitation' });
/** What the organization sees of a pending invitation; `email` is the address opened (or just given). */
export const invitationView = (i: InvitationRecord, email: string): z.output<typeof InvitationView> => ({
  invitationId: i.invitationId,
  email,
  role: i.role,
  invitedBy: i.invitedBy,
  createdAt: i.createdAt,
  expiresAt: new Date(i.expiresAt * 1000).toISOString(),
});

const tokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export const invitationKeyContext = (orgId: string, invitationId: string): EncryptionContext => ({ purpose: KeyPurposes.invitationPii, org: orgId, invitation: invitationId });

const emailIdentity = (orgId: string, invitationId: string) => ({ kind: 'invitation-pii', org: orgId, invitation: invitationId, field: 'email' });
const sealingKey = (orgId: string, invitationId: string, material: Uint8Array): SealingKey => ({ ref: `invitation:${orgId}:${invitationId}:pii`, material });

/** The lookup hash of the invited address (also for invitations from before sealing, which hold the address). */
export const invitationEmailHash = async (emailIndex: EmailIndex, i: InvitationRecord): Promise<string | undefined> =>
  i.emailHash ?? (i.email === undefined ? undefined : emailIndex.lookupHash(i.email));

/**
 * A new invitation: its record (the address sealed under a fresh data key from the PII key), the
 * lookup of its token, and the token to mail (once).
 */
export async function createInvitation(
  { piiKeys, emailIndex }: { readonly piiKeys: KeyProvider; readonly emailIndex: EmailIndex },
  scope: OrgScope,
  email: string,
  role: Role,
  invitedBy: string,
  now: Date,
) {
  const invitationId = Ids.invitation.generate();
  const token = randomBytes(32).toString('base64url');
  const expiresAt = Math.floor(now.getTime() / 1000) + INVITATION_LIFETIME_SECONDS;
  const emailHash = await emailIndex.lookupHash(email);
  const dataKey = await piiKeys.generateDataKey(invitationKeyContext(scope.orgId, invitationId));
  let sealedEmail: string;
  try {
    sealedEmail = seal(email, emailIdentity(scope.orgId, invitationId), sealingKey(scope.orgId, invitationId, dataKey.plaintext));
  } finally {
    dataKey.plaintext.fill(0);
  }
  const record: InvitationRecord = {
    invitationId,
    orgId: scope.orgId,
    emailHash,
    sealedEmail,
    dataKey: { wrapped: Buffer.from(dataKey.wrapped).toString('base64'), rootKeyId: dataKey.rootKeyId },
    role,
    invitedBy,
    createdAt: now.toISOString(),
    expiresAt,
    tokenHash: tokenHash(token),
  };
  const writes: TransactWrite[] = [
    Invitations.at(scope, invitationId).create(record),
    InvitationTokens.at(record.tokenHash).create({ orgId: scope.orgId, invitationId, expiresAt }),
  ];
  return { record, token, writes };
}

export async function getInvitation(table: Table, scope: OrgScope, invitationId: string): Promise<InvitationRecord | undefined> {
  return table.read(Invitations.at(scope, invitationId));
}

/** The organization's invitations that have not expired yet (consistent). */
export async function listPendingInvitations(table: Table, scope: OrgScope, now: Date): Promise<InvitationRecord[]> {
  const nowSeconds = now.getTime() / 1000;
  return (await table.queryAll(Invitations.query.ofOrg(scope), { consistent: true })).filter((i) => i.expiresAt > nowSeconds);
}

/** Removes an invitation and its token (revocation, or acceptance with the membership). */
export function removeInvitationWrites(scope: OrgScope, invitation: InvitationRecord): TransactWrite[] {
  return [
    Invitations.at(scope, invitation.invitationId).delete({ when: Conditions.exists }),
    // Conditional: of two acceptances of one link, one wins.
    InvitationTokens.at(invitation.tokenHash).delete({ when: Conditions.exists }),
  ];
}

/**
 * The invitation a token belongs to, if it is unexpired. Holding a valid invitation link is the
 * proof that lets its organization's scope be minted here, before the invitee is a member.
 */
export async function findInvitationByToken(table: Table, token: string): Promise<{ scope: OrgScope; invitation: InvitationRecord } | undefined> {
  const lookup = await table.read(InvitationTokens.at(tokenHash(token)));
  if (!lookup) return undefined;
  const scope = mintOrgScope(lookup.orgId);
  const invitation = await getInvitation(table, scope, lookup.invitationId);
  return invitation && invitation.tokenHash === tokenHash(token) ? { scope, invitation } : undefined;
}

/** Whether a person or key with this (effective) role may invite with `role`: `invitations:manage`, and the member rules. */
export const mayInvite = (inviter: Grantor, role: Role): boolean => roleAllows(inviter.role, 'invitations:manage') && grantRefusal(inviter, 'viewer', role) === undefined;

/**
 * Refuses an acceptance (403) unless whoever sent the invitation (`invitedBy`) may still grant its
 * role, and returns the conditions that keep it so until the acceptance commits, so a removal or
 * demotion racing it cannot slip through. A person must still be a member who may invite with that
 * role (`mayInvite`: an owner for admin and owner); a key must still authenticate (not revoked, not
 * expired), reach the whole organization (no project restriction), and its effective role (the
 * lower of its own and its creator's current one) must hold `invitations:manage`; a key never
 * grants admin or owner. The invitation stays, for the organization to see and revoke.
 */
export async function inviterMayStillGrant(table: Table, scope: OrgScope, invitation: InvitationRecord, now: Date): Promise<TransactWrite[]> {
  const lost = () => new ForbiddenError('Whoever sent this invitation may no longer grant its role; ask the organization for a new invitation.');
  const { invitedBy, role } = invitation;
  if (Ids.user.is(invitedBy)) {
    const inviter = await getMembership(table, scope, invitedBy);
    if (!inviter || !mayInvite({ type: 'user', role: inviter.role }, role)) throw lost();
    return [roleStillOneOfCheck(scope, invitedBy, Roles.filter((r) => mayInvite({ type: 'user', role: r }, role)), lost)];
  }
  const key = Ids.apiKey.is(invitedBy) ? await liveApiKey(table, invitedBy, now) : undefined;
  if (!key || key.orgId !== scope.orgId || key.projectIds) throw lost();
  const creator = await getMembership(table, scope, key.createdBy);
  const keyMayInvite = (creatorRole: Role) => mayInvite({ type: 'api_key', role: lowerRole(key.role, creatorRole) }, role);
  if (!creator || !keyMayInvite(creator.role)) throw lost();
  return [apiKeyLiveCheck(scope, key.keyId, now, lost), roleStillOneOfCheck(scope, key.createdBy, Roles.filter(keyMayInvite), lost)];
}

const caches = new WeakMap<KeyProvider, DataKeyCache>();
const cacheFor = (piiKeys: KeyProvider): DataKeyCache => {
  let cache = caches.get(piiKeys);
  if (!cache) caches.set(piiKeys, (cache = new DataKeyCache()));
  return cache;
};

/**
 * The invited address, opened with the invitation's data key (one KMS Decrypt per invitation and
 * instance, then cached). @throws SealedValueError or KeyUnwrapError when the item was tampered with.
 */
export async function openInvitationEmail(piiKeys: KeyProvider, i: InvitationRecord): Promise<string> {
  if (!i.sealedEmail || !i.dataKey) {
    if (i.email === undefined) throw new SealedValueError('The invitation holds no address.');
    return i.email;
  }
  const { wrapped, rootKeyId } = i.dataKey;
  if (rootKeyId !== piiKeys.rootKeyId) throw new SealedValueError('Wrapped under another PII key.');
  const material = await cacheFor(piiKeys).get(cacheKeyOf(`${i.orgId}:${i.invitationId}`, wrapped), () =>
    piiKeys.decryptDataKey(Buffer.from(wrapped, 'base64'), invitationKeyContext(i.orgId, i.invitationId)),
  );
  return openSealed(i.sealedEmail, emailIdentity(i.orgId, i.invitationId), sealingKey(i.orgId, i.invitationId, material)).toString('utf8');
}
