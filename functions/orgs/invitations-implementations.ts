import { accountActiveCheck, verifiedEmailHashOf } from '../kernel/accounts/account-proofs';
import { orgAuditEntry } from '../kernel/audit/entries';
import { principalId } from '../kernel/auth/principal';
import { ConflictError, ForbiddenError, InvalidTokenError, NotFoundError } from '../kernel/errors';
import { implement, type BoundRoute } from '../kernel/http/implementation';
import { sendMail, spendMailBudget } from '../kernel/mail/send';
import { getMembership, membershipWrite } from '../kernel/tenancy/memberships';
import { invitationMail } from './invitation-mail';
import * as routes from './invitations-routes';
import {
  createInvitation,
  findInvitationByToken,
  getInvitation,
  invitationEmailHash,
  invitationView,
  inviterMayStillGrant,
  listPendingInvitations,
  openInvitationEmail,
  removeInvitationWrites,
} from './invitations';
import { assertMayManage } from './members';
import { orgView, requireOrg, userIdOf } from './organizations';

/** Invitations: mailed once, listed while pending, revoked, and accepted by the owner of the invited address. */
export const invitationImplementations: readonly BoundRoute[] = [
  implement(routes.createInvitation, async ({ body }, ctx) => {
    const { scope, role } = ctx.org;
    assertMayManage({ type: ctx.principal.type, role }, 'viewer', body.role);
    const org = await requireOrg(ctx.platform.table, scope);
    // Every mail to an address counts against its budget, whichever organization sends it (429 when spent).
    await spendMailBudget(ctx.platform, body.email);
    const { record, token, writes } = await createInvitation(ctx.platform, scope, body.email, body.role, principalId(ctx.principal), new Date());
    await ctx.platform.audit.commit(
      orgAuditEntry(ctx, scope, 'invitation.created', { type: 'invitation', id: record.invitationId }, { invitationId: record.invitationId, role: record.role }),
      writes,
    );
    await sendMail(ctx.platform, ctx.logger, invitationMail(body.email, org.name, record.role, ctx.platform.appUrl, token));
    return { body: invitationView(record, body.email) };
  }),

  implement(routes.listInvitations, async (_input, ctx) => {
    const pending = await listPendingInvitations(ctx.platform.table, ctx.org.scope, new Date());
    const invitations = await Promise.all(pending.map(async (i) => invitationView(i, await openInvitationEmail(ctx.platform.piiKeys, i))));
    return { body: { invitations } };
  }),

  implement(routes.revokeInvitation, async ({ params }, ctx) => {
    const { scope } = ctx.org;
    const invitation = await getInvitation(ctx.platform.table, scope, params.invitationId);
    if (!invitation) throw new NotFoundError('No such invitation.');
    await ctx.platform.audit.commit(
      orgAuditEntry(ctx, scope, 'invitation.revoked', { type: 'invitation', id: invitation.invitationId }, { invitationId: invitation.invitationId }),
      removeInvitationWrites(scope, invitation),
    );
    return { body: {} };
  }),

  implement(routes.acceptInvitation, async ({ body }, ctx) => {
    const userId = userIdOf(ctx.principal);
    const { table } = ctx.platform;
    const found = await findInvitationByToken(table, body.token);
    if (!found || found.invitation.expiresAt <= Date.now() / 1000) throw new InvalidTokenError('The invitation is invalid, used or expired.');
    const { scope, invitation } = found;
    // The link alone is not enough: the signed-in account must have proved it owns the address
    // (compared by lookup hash: accounts keep their address sealed).
    const accountEmailHash = await verifiedEmailHashOf(table, userId);
    if (accountEmailHash === undefined || accountEmailHash !== (await invitationEmailHash(ctx.platform.emailIndex, invitation))) {
      throw new ForbiddenError('This invitation is for another email address; sign in with the invited, verified address.');
    }
    if (await getMembership(table, scope, userId)) throw new ConflictError('You are already a member of this organization.');
    const now = new Date();
    const inviterChecks = await inviterMayStillGrant(table, scope, invitation, now);
    await ctx.platform.audit.commit(
      orgAuditEntry(ctx, scope, 'member.added', { type: 'user', id: userId }, { role: invitation.role, via: 'invitation' }),
      [...removeInvitationWrites(scope, invitation), membershipWrite(scope, userId, invitation.role, now), accountActiveCheck(userId), ...inviterChecks],
    );
    const org = await requireOrg(table, scope);
    return { body: { ...orgView(org), role: invitation.role } };
  }),
];
