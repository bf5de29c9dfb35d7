/**
 * The `purpose` of every encryption context Rampart uses with its KMS keys (the root key and the
 * PII key). IAM conditions on `kms:EncryptionContext:purpose` decide which functions may wrap and
 * unwrap what, so these names are shared by the code that wraps and the CDK that grants.
 */
export const KeyPurposes = {
  /** Private keys that sign access tokens (identity; root key). */
  accessTokenSigningKey: 'access-token-signing-key',
  /** Organization keys: only the deploy path may unwrap them (they open environment values; root key). */
  orgKey: 'org-key',
  /**
   * A user's data key (PII key, context `{purpose, user}`): it seals the user's email, name, TOTP
   * secret and session client details; deleting it shreds them (identity).
   */
  userPii: 'user-pii',
  /**
   * An invitation's data key (PII key, context `{purpose, org, invitation}`): it seals the invitee's
   * address; deleting the invitation shreds it (orgs).
   */
  invitationPii: 'invitation-pii',
  /**
   * The email index key (PII key, context `{purpose}` only): one platform-wide key under which
   * email addresses are hashed (HMAC-SHA256) into the lookup hash that finds an account by address
   * and compares an invitee with an account (identity, orgs).
   */
  emailIndex: 'email-index',
} as const;
export type KeyPurpose = (typeof KeyPurposes)[keyof typeof KeyPurposes];
