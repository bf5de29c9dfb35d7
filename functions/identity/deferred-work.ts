import { z } from 'zod';
import { domainEvent, type EventType } from '../kernel/events/catalogue';
import type { AnyRouteContext } from '../kernel/http/implementation';
import { Ids } from '../kernel/ids';
import { Conditions } from '../kernel/storage/conditions';
import { defineEntity } from '../kernel/storage/entity';
import { Keys } from '../kernel/storage/keys';
import type { Table, TransactWrite } from '../kernel/storage/table';

/**
 * Work that a public identity request leaves for the identity consumer (functions/identity/consumer.ts).
 *
 * Signup, login, verification resend and password-reset requests answer the same whether or not
 * the address has an account, and they must also take the same time (docs/identity.md, "Equal
 * work on public paths"): whatever only an existing account causes (its audit record, a token, a
 * mail, replacing an unverified signup) would otherwise show in the response time. So the response
 * path does the same steps for every address and ends by recording one work item (one PutItem)
 * and announcing it on the bus (one PutEvents); the consumer finds the account, if any, and does
 * the rest. A work item that finds no account is deleted without effect.
 *
 * The event carries the work item's id only. The item holds what the consumer needs: lookup hashes
 * and ids, the client (as an audit record would hold it), and for a signup the address, name and
 * password hash sealed under the new account's data key. It lives at most a day (TTL) and is
 * deleted in the transaction that carries out its work, so a redelivered event does nothing twice.
 */

/** How long an unprocessed work item is kept (the consumer retries within hours; DynamoDB TTL removes it). */
export const DEFERRED_WORK_LIFETIME_SECONDS = 24 * 3600;

const LookupHash = z.string().regex(/^[0-9a-f]{64}$/);

/** The caller, for the audit records the work writes (as `actorOf` would record them). */
const Client = z.object({ ip: z.string().max(64), userAgent: z.string().max(512).optional() });

const Common = { client: Client, createdAt: z.string() };

const SignupWork = z.object({
  kind: z.literal('signup'),
  ...Common,
  /** The id the account gets if the address is free. */
  userId: Ids.user.schema,
  emailHash: LookupHash,
  /** The new account's data key, wrapped by the PII key for `userId` (its `DATAKEY` record if it is created). */
  dataKey: z.object({ wrapped: z.string(), rootKeyId: z.string() }),
  /** The address and name, sealed under that data key (fields `email` and `name`). */
  sealedEmail: z.string(),
  sealedName: z.string(),
  /** argon2id, as the profile stores it. */
  passwordHash: z.string(),
});

const LoginFailedWork = z.object({ kind: z.literal('login_failed'), ...Common, userId: Ids.user.schema.optional() });
const VerificationWork = z.object({ kind: z.literal('verification'), ...Common, emailHash: LookupHash });
const PasswordResetWork = z.object({ kind: z.literal('password_reset'), ...Common, emailHash: LookupHash });

export const DeferredWork = z.discriminatedUnion('kind', [SignupWork, LoginFailedWork, VerificationWork, PasswordResetWork]);
export type DeferredWork = z.output<typeof DeferredWork>;
export type DeferredWorkKind = DeferredWork['kind'];
export type SignupWork = z.output<typeof SignupWork>;

/** The event that announces each kind of work. */
export const DeferredWorkEvents = {
  signup: 'identity.signup_requested',
  login_failed: 'identity.login_failed',
  verification: 'identity.verification_requested',
  password_reset: 'identity.password_reset_requested',
} as const satisfies Record<DeferredWorkKind, EventType>;

export type DeferredWorkEvent = (typeof DeferredWorkEvents)[DeferredWorkKind];

const DeferredWorks = defineEntity({ name: 'deferred work', schema: DeferredWork, key: Keys.deferredWork });

type NewWork = DeferredWork extends infer W ? (W extends DeferredWork ? Omit<W, 'client' | 'createdAt'> : never) : never;

/** Records `work` for the consumer and announces it: the last step of a public request, the same two calls for every address. */
export async function deferWork(ctx: AnyRouteContext, work: NewWork, now = new Date()): Promise<void> {
  const workId = Ids.deferredWork.generate();
  const client = { ip: ctx.sourceIp, ...(ctx.userAgent ? { userAgent: ctx.userAgent.slice(0, 512) } : {}) };
  await ctx.platform.table.transact([
    DeferredWorks.at(workId).create({
      ...({ ...work, client, createdAt: now.toISOString() } as DeferredWork),
      expiresAt: Math.floor(now.getTime() / 1000) + DEFERRED_WORK_LIFETIME_SECONDS,
    }),
  ]);
  await ctx.platform.events.publish([domainEvent(DeferredWorkEvents[work.kind], { workId })]);
}

/** The work an event announced, if it is still to be done (undefined once done, or expired). */
export async function loadWork(table: Table, workId: string): Promise<DeferredWork | undefined> {
  return table.read(DeferredWorks.at(workId));
}

/** The write that marks the work done (it must still be there: a concurrent delivery of the same event fails here). */
export const finishWorkWrite = (workId: string, onConditionFailed: () => Error): TransactWrite =>
  DeferredWorks.at(workId).delete({ when: Conditions.exists, onConditionFailed });
