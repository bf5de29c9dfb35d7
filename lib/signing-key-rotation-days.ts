/** The CDK context key of the signing-key rotation interval: `cdk deploy -c signingKeyRotationDays=7`. */
export const SIGNING_KEY_ROTATION_CONTEXT = 'signingKeyRotationDays';

/** How often the access-token signing key is rotated when the context does not say. */
export const DEFAULT_SIGNING_KEY_ROTATION_DAYS = 30;

/** A year at most: a key that signs longer is a larger prize, and EventBridge rates are whole days. */
const MAX_DAYS = 365;

/**
 * Checks the rotation interval, in whole days from 1 to 365, given as a number (cdk.json, props)
 * or a string of digits (`-c signingKeyRotationDays=7`). A bad one stops the synth, rather than
 * deploying a schedule that never rotates or one CloudFormation refuses.
 */
export function assertSigningKeyRotationDays(value: unknown): number {
  const days = typeof value === 'string' && /^[0-9]{1,3}$/.test(value) ? Number(value) : value;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new Error(`Invalid ${SIGNING_KEY_ROTATION_CONTEXT} ${JSON.stringify(value)}: use a whole number of days from 1 to ${MAX_DAYS}, e.g. ${DEFAULT_SIGNING_KEY_ROTATION_DAYS}`);
  }
  return days;
}
