/**
 * The `purpose` of every encryption context Rampart uses with the root key. IAM conditions on
 * `kms:EncryptionContext:purpose` decide which functions may unwrap what, so these names are shared
 * by the code that wraps and the CDK that grants.
 */
export const KeyPurposes = {
  /** Private keys that sign access tokens (identity). */
  accessTokenSigningKey: 'access-token-signing-key',
  /** Users' TOTP secrets (identity). */
  totpSecret: 'totp-secret',
  /** Organization keys: only the deploy path may unwrap them (they open environment values). */
  orgKey: 'org-key',
} as const;
export type KeyPurpose = (typeof KeyPurposes)[keyof typeof KeyPurposes];
