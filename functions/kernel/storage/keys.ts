/**
 * Every key template of the single table, in one place. Handlers never build key strings; they
 * call these. Prefixes are constants because IAM conditions (audit immutability) refer to them.
 */

export const KeyPrefix = {
  /** Audit records: `AUDIT#<scope>` / `SEQ#<seq>`. IAM denies UpdateItem/DeleteItem on it. */
  audit: 'AUDIT#',
  /** Audit chain heads: a separate prefix so the head can be updated while records cannot. */
  auditHead: 'AUDITHEAD#',
  platform: 'PLATFORM#',
  org: 'ORG#',
  user: 'USER#',
  /** API-key lookup items: `APIKEY#<keyId>` / `KEY`, read by the authenticator on every request. */
  apiKey: 'APIKEY#',
} as const;

/** Fixed width so that lexical sort order equals numeric order (12 digits: a trillion records). */
export const SEQ_WIDTH = 12;

export const padSeq = (seq: number): string => String(seq).padStart(SEQ_WIDTH, '0');

/**
 * Characters that would let one id reach into another's key space. Up to 255 characters: the
 * longest part is an environment variable name (at most 255); a sort key holds 1 KiB.
 */
const KEY_PART = /^[A-Za-z0-9:._@+-]{1,255}$/;

/** Refuses key parts that contain the separator or are empty: ids come from validated input, but keys must not trust that. */
export function keyPart(value: string): string {
  if (!KEY_PART.test(value)) throw new TypeError('invalid key part');
  return value;
}

export const Keys = {
  auditRecord: (scope: string, seq: number) => ({ pk: `${KeyPrefix.audit}${keyPart(scope)}`, sk: `SEQ#${padSeq(seq)}` }),
  auditPartition: (scope: string) => `${KeyPrefix.audit}${keyPart(scope)}`,
  auditHead: (scope: string) => ({ pk: `${KeyPrefix.auditHead}${keyPart(scope)}`, sk: 'HEAD' }),
  auditByAction: (scope: string, action: string) => `${KeyPrefix.audit}${keyPart(scope)}#ACTION#${keyPart(action)}`,
  healthProbe: () => ({ pk: `${KeyPrefix.platform}health`, sk: 'PROBE' }),

  // Access-token signing keys: one item per key, one pointer to the key that signs now.
  signingKeysPartition: () => `${KeyPrefix.platform}signing-keys`,
  signingKey: (kid: string) => ({ pk: `${KeyPrefix.platform}signing-keys`, sk: `KEY#${keyPart(kid)}` }),
  activeSigningKey: () => ({ pk: `${KeyPrefix.platform}signing-keys`, sk: 'ACTIVE' }),
  /** The email index key, wrapped by the PII key: the key of every address's lookup hash (one item). */
  emailIndexKey: () => ({ pk: `${KeyPrefix.platform}email-index`, sk: 'KEY' }),

  // Identity. Users are their own partition; lookups by secret-derived values use the SHA-256 of
  // that value, and by address its keyed lookup hash (`EmailIndex`), so neither tokens nor email
  // addresses appear in keys.
  user: (userId: string) => ({ pk: `${KeyPrefix.user}${keyPart(userId)}`, sk: 'PROFILE' }),
  userPartition: (userId: string) => `${KeyPrefix.user}${keyPart(userId)}`,
  /** The claim of an address, by its lookup hash (HMAC under the email index key, `EmailIndex.lookupHash`). */
  userByEmail: (emailHash: string) => ({ pk: `EMAIL#${keyPart(emailHash)}`, sk: 'USER' }),
  session: (userId: string, sessionId: string) => ({ pk: `${KeyPrefix.user}${keyPart(userId)}`, sk: `SESSION#${keyPart(sessionId)}` }),
  refreshToken: (tokenHash: string) => ({ pk: `REFRESH#${keyPart(tokenHash)}`, sk: 'TOKEN' }),
  oneTimeToken: (purpose: 'verify-email' | 'password-reset' | 'mfa-login', tokenHash: string) => ({
    pk: `OTT#${purpose}#${keyPart(tokenHash)}`,
    sk: 'TOKEN',
  }),
  totp: (userId: string) => ({ pk: `${KeyPrefix.user}${keyPart(userId)}`, sk: 'MFA#TOTP' }),
  /** A user's data key, wrapped by the PII key: it seals the user's personal data; deleting it shreds them. */
  userDataKey: (userId: string) => ({ pk: `${KeyPrefix.user}${keyPart(userId)}`, sk: 'DATAKEY' }),
  // API keys: the item authentication reads, found by the public key id (never by the secret).
  apiKeyLookup: (keyId: string) => ({ pk: `${KeyPrefix.apiKey}${keyPart(keyId)}`, sk: 'KEY' }),
  rateLimitBucket: (bucket: string) => ({ pk: `RATE#${keyPart(bucket)}`, sk: 'BUCKET' }),
  /** An invitation's token, by the SHA-256 of the token: how an invitee's link finds it. */
  invitationToken: (tokenHash: string) => ({ pk: `INVITE#${keyPart(tokenHash)}`, sk: 'TOKEN' }),
} as const;
