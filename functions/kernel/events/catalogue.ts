import { z } from 'zod';
import { Ids } from '../ids';

/**
 * The closed catalogue of domain events. Each event type has a zod schema for its detail; events
 * carry identifiers and facts, never a secret value, a token, a password or PII. Publishing
 * validates against the schema (strict: an unexpected field is refused, not passed on).
 */

const id = z.string().regex(/^[A-Za-z0-9:_.-]{1,128}$/);

export const EventCatalogue = {
  'audit.recorded': {
    source: 'rampart.audit',
    detail: z.strictObject({
      scope: z.string().regex(/^(org|user):[A-Za-z0-9_-]{1,64}$|^platform$/),
      seq: z.number().int().positive(),
      action: z.string().regex(/^[a-z_]+\.[a-z_.]+$/),
      outcome: z.enum(['success', 'failure', 'denied']),
      hash: z.string().regex(/^[0-9a-f]{64}$/),
      targetId: id.optional(),
    }),
  },
  /**
   * An organization key rotated (or its re-seal must go on): the deploy path re-seals the
   * organization's environment values under `keyVersion`, resuming from the recorded progress.
   */
  /**
   * A public identity request left work for the identity consumer (functions/identity/deferred-work.ts):
   * the id of the work item only, never an address, a name or a client detail.
   */
  'identity.signup_requested': { source: 'rampart.identity', detail: z.strictObject({ workId: Ids.deferredWork.schema }) },
  'identity.login_failed': { source: 'rampart.identity', detail: z.strictObject({ workId: Ids.deferredWork.schema }) },
  'identity.verification_requested': { source: 'rampart.identity', detail: z.strictObject({ workId: Ids.deferredWork.schema }) },
  'identity.password_reset_requested': { source: 'rampart.identity', detail: z.strictObject({ workId: Ids.deferredWork.schema }) },
  'org.key.reseal_requested': {
    source: 'rampart.orgs',
    detail: z.strictObject({ orgId: Ids.org.schema, keyVersion: z.number().int().min(2) }),
  },
} as const;

export type EventType = keyof typeof EventCatalogue;
export type EventDetail<T extends EventType> = z.output<(typeof EventCatalogue)[T]['detail']>;

export interface DomainEvent<T extends EventType = EventType> {
  readonly type: T;
  readonly detail: EventDetail<T>;
}

/** Builds a validated event; throws on a detail that does not match the catalogue. */
export function domainEvent<T extends EventType>(type: T, detail: EventDetail<T>): DomainEvent<T> {
  const parsed = EventCatalogue[type].detail.parse(detail) as EventDetail<T>;
  return { type, detail: parsed };
}
