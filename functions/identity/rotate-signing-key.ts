import type { Context } from 'aws-lambda';
import type { AuditActor } from '../kernel/audit/record';
import { SigningKeyStore } from '../kernel/auth/signing-keys';
import { bootDomain } from '../kernel/platform/boot';
import { platform } from '../kernel/platform/platform';

const logger = bootDomain('identity');

/**
 * The actor of every rotation, scheduled or started by hand: Lambda does not tell a function who
 * invoked it (CloudTrail records the `Invoke` call and its caller).
 */
export const ROTATION_ACTOR: AuditActor = { type: 'system', id: 'signing-key-rotation' };

/** What an invocation answers (printed by `aws lambda invoke`): the kid that signs from now on. */
export interface RotationResult {
  readonly kid: string;
}

/**
 * Rotates the access-token signing key and records `platform.signing_key_rotated` in the same
 * transaction. Invoked by the EventBridge schedule (the event carries nothing it needs) or by an
 * operator with `aws lambda invoke`. A failure is thrown, so Lambda retries it and then hands the
 * event to the dead-letter queue.
 */
export async function handler(_event: unknown, context?: Context): Promise<RotationResult> {
  if (context) logger.addContext(context);
  try {
    const { table, keys, audit } = platform();
    const kid = await new SigningKeyStore(table, keys).rotate({ audit: { trail: audit, actor: ROTATION_ACTOR } });
    logger.info('Rotated the JWT signing key', { kid });
    return { kid };
  } catch (error) {
    logger.error('Could not rotate the JWT signing key', { error });
    throw error;
  }
}
