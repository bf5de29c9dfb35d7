import type { UserRecord } from '../kernel/accounts/user-record';
import { userAuditEntry, type AuditedRequest } from '../kernel/audit/entries';
import { PreconditionFailedError } from '../kernel/errors';
import type { Logger } from '../kernel/logging/logger';
import { sendMail } from '../kernel/mail/send';
import type { Platform } from '../kernel/platform/platform';
import { TransactionConflictError } from '../kernel/storage/table';
import {
  createUserWrites,
  EmailTakenError,
  findUserByEmailHash,
  findUserIdByEmailHash,
  getUser,
  openUserPii,
  OutdatedAccountError,
  updateUserWrite,
} from './account';
import { DeferredWorkEvents, finishWorkWrite, loadWork, type DeferredWork, type SignupWork } from './deferred-work';
import { Mail } from './mail-templates';
import { removeFactorWrite } from './mfa';
import { issueOneTimeToken } from './one-time-tokens';
import { clearFailuresWrite } from './second-factor-lockout';
import { storeUserKeyWrite, unwrapUserKey, UserDataUnavailableError, userKeyRing } from './user-keys';

/**
 * Carries out what a public identity request deferred (`deferred-work.ts`), for the identity
 * consumer. Each kind ends by deleting its work item in the transaction of its effect, so a
 * redelivered event, or two deliveries racing, change nothing twice; mail goes out after the commit.
 */

export interface WorkDeps {
  readonly platform: Platform;
  readonly logger: Logger;
}

/** The work item was done (or expired) already: a redelivery, which has nothing left to do. */
class WorkAlreadyDone extends Error {}

export type WorkOutcome = 'done' | 'already_done';

/** Runs the work an event of `type` announced. @throws when it should be retried (EventBridge redelivers). */
export async function runDeferredWork(deps: WorkDeps, type: string, workId: string): Promise<WorkOutcome> {
  for (let attempt = 1; ; attempt++) {
    const work = await loadWork(deps.platform.table, workId);
    if (!work) return 'already_done';
    if (DeferredWorkEvents[work.kind] !== type) throw new Error(`work item ${workId} is ${work.kind}, not announced by ${type}`);
    try {
      await run(deps, workId, work);
      return 'done';
    } catch (error) {
      if (error instanceof WorkAlreadyDone) return 'already_done';
      // Two signups for one address, worked on at once, change the same account: the loser reads
      // it again and goes on (the work is the same, the account is newer).
      if (attempt < MAX_ATTEMPTS && (error instanceof PreconditionFailedError || error instanceof TransactionConflictError)) continue;
      throw error;
    }
  }
}

/** Attempts at one work item within one delivery, when it lost a race for the account it changes. */
const MAX_ATTEMPTS = 5;

async function run(deps: WorkDeps, workId: string, work: DeferredWork): Promise<void> {
  const request: AuditedRequest = { principal: undefined, sourceIp: work.client.ip, userAgent: work.client.userAgent };
  const finish = finishWorkWrite(workId, () => new WorkAlreadyDone());
  switch (work.kind) {
    case 'signup':
      return signUp(deps, request, work, finish);
    case 'login_failed':
      return recordLoginFailure(deps, request, work.userId, finish);
    case 'verification':
      return mailVerification(deps, work.emailHash, finish);
    case 'password_reset':
      return mailPasswordReset(deps, request, work.emailHash, finish);
  }
}

type Finish = ReturnType<typeof finishWorkWrite>;

/** An account that can be acted on: accounts from an older version, or deleted meanwhile, cannot. */
async function usable<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof OutdatedAccountError || error instanceof UserDataUnavailableError) return undefined;
    throw error;
  }
}

const emailOf = async ({ platform }: WorkDeps, user: UserRecord): Promise<string> => (await openUserPii(userKeyRing(platform), user)).email;

/**
 * A signup: a free address becomes an account (with the data key the request made for it). An
 * address whose account is not verified yet is taken over by this signup, since whoever proves
 * the mailbox (the newest link, with the password given with it) must end up holding the account:
 * its password, name and address form are replaced, every earlier verification link dies with the
 * old credentials, and whatever the earlier signup could have set up (a factor, failure counts) is
 * removed. A verified account is left as it is, and its owner is told.
 */
async function signUp(deps: WorkDeps, request: AuditedRequest, work: SignupWork, finish: Finish): Promise<void> {
  const { table, audit, piiKeys, appUrl } = deps.platform;
  const key = await unwrapUserKey(piiKeys, work.userId, work.dataKey);
  const email = key.open('email', work.sealedEmail);
  const name = key.open('name', work.sealedName);
  const now = new Date();
  const at = now.toISOString();
  const account = { userId: work.userId, email, name, passwordHash: work.passwordHash, emailVerified: false, mfaEnabled: false, createdAt: at, updatedAt: at, passwordChangedAt: at };
  const verification = issueOneTimeToken('verify-email', account, now);
  try {
    await audit.commit(userAuditEntry(request, work.userId, 'user.signed_up', { method: 'password' }), [
      // The address's lookup hash was taken on the response path: the consumer holds no email index key.
      ...createUserWrites(account, key, work.emailHash),
      storeUserKeyWrite(work.userId, work.dataKey, now),
      verification.write,
      finish,
    ]);
    await sendMail(deps.platform, deps.logger, Mail.verifyEmail(email, appUrl, verification.token));
    return;
  } catch (error) {
    if (!(error instanceof EmailTakenError)) throw error;
  }

  const ownerId = await findUserIdByEmailHash(table, work.emailHash);
  // The claim went between the two writes (the account was deleted): the address is free on the retry.
  if (!ownerId) throw new Error('the address changed hands meanwhile; retrying');
  if (ownerId === work.userId) throw new WorkAlreadyDone(); // an earlier delivery created it
  const owner = await usable(() => getUser(table, ownerId));
  if (!owner) {
    // An account this version cannot act on (stored by an older version): nothing to replace or tell.
    await table.transact([finish]);
    return;
  }
  if (owner.emailVerified) {
    await audit.commit(userAuditEntry(request, owner.userId, 'user.signup_repeated', { pendingReplaced: false }, { outcome: 'failure' }), [finish]);
    await sendMail(deps.platform, deps.logger, Mail.alreadyRegistered(email, appUrl));
    return;
  }
  const ownerKey = await userKeyRing(deps.platform).open(owner.userId);
  const replaced: UserRecord = {
    ...owner,
    passwordHash: work.passwordHash,
    sealedEmail: ownerKey.seal('email', email),
    sealedName: ownerKey.seal('name', name),
    passwordChangedAt: at,
    updatedAt: at,
  };
  const fresh = issueOneTimeToken('verify-email', replaced, now);
  // An unverified account has no sessions (login refuses it before one starts): nothing to revoke.
  await audit.commit(userAuditEntry(request, owner.userId, 'user.signup_repeated', { pendingReplaced: true }), [
    updateUserWrite(replaced),
    removeFactorWrite(owner.userId),
    clearFailuresWrite(owner.userId),
    fresh.write,
    finish,
  ]);
  await sendMail(deps.platform, deps.logger, Mail.verifyEmail(email, appUrl, fresh.token));
}

/** A wrong password for an existing account goes into its owner's audit chain; for no account, nothing is recorded. */
async function recordLoginFailure(deps: WorkDeps, request: AuditedRequest, userId: string | undefined, finish: Finish): Promise<void> {
  const user = userId ? await usable(() => getUser(deps.platform.table, userId)) : undefined;
  if (!user) return deps.platform.table.transact([finish]);
  await deps.platform.audit.commit(userAuditEntry(request, user.userId, 'user.login_failed', { reason: 'invalid_credentials' }, { outcome: 'failure' }), [finish]);
}

/** A fresh verification link, for an account whose address is not verified yet. */
async function mailVerification(deps: WorkDeps, emailHash: string, finish: Finish): Promise<void> {
  const owner = await usable(async () => {
    const user = await findUserByEmailHash(deps.platform.table, emailHash);
    return user && !user.emailVerified ? { user, email: await emailOf(deps, user) } : undefined;
  });
  if (!owner) return deps.platform.table.transact([finish]);
  const verification = issueOneTimeToken('verify-email', owner.user, new Date());
  await deps.platform.table.transact([verification.write, finish]);
  await sendMail(deps.platform, deps.logger, Mail.verifyEmail(owner.email, deps.platform.appUrl, verification.token));
}

/** A reset link for the account of the address, recorded in its owner's chain. */
async function mailPasswordReset(deps: WorkDeps, request: AuditedRequest, emailHash: string, finish: Finish): Promise<void> {
  const owner = await usable(async () => {
    const user = await findUserByEmailHash(deps.platform.table, emailHash);
    return user ? { user, email: await emailOf(deps, user) } : undefined;
  });
  if (!owner) return deps.platform.table.transact([finish]);
  const reset = issueOneTimeToken('password-reset', owner.user, new Date());
  await deps.platform.audit.commit(userAuditEntry(request, owner.user.userId, 'user.password_reset_requested', {}), [reset.write, finish]);
  await sendMail(deps.platform, deps.logger, Mail.resetPassword(owner.email, deps.platform.appUrl, reset.token));
}
