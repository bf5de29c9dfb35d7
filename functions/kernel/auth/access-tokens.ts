import { errors as joseErrors, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import { randomBytes } from 'node:crypto';
import { UnauthenticatedError } from '../errors';
import { SIGNING_ALGORITHM, type PublicKey, type SigningKey, type SigningKeyStore } from './signing-keys';

/** Access tokens: EdDSA (Ed25519) JWTs, 15 minutes, bound to a revocable session. */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 15 * 60;
export const TOKEN_ISSUER = 'urn:rampart:identity';
export const TOKEN_AUDIENCE = 'urn:rampart:api';
const CLOCK_TOLERANCE_SECONDS = 5;
/** How long a verifier trusts its copy of the public keys; an unknown kid refreshes sooner. */
const KEY_CACHE_SECONDS = 300;
/** An unknown kid refreshes the keys at most this often, so random kids cannot flood storage. */
const UNKNOWN_KID_REFRESH_SECONDS = 10;
/**
 * How long an instance signs with the key it opened (one KMS Decrypt per instance per period, not
 * per login). After a rotation the old key keeps verifying for its grace period, so this is safe.
 */
const SIGNING_KEY_CACHE_SECONDS = 300;

export interface AccessTokenClaims {
  readonly userId: string;
  readonly sessionId: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Three segments, each unpadded base64url that re-encodes to itself (no stray trailing bits). */
export function isCanonicalCompactJws(token: string): boolean {
  const segments = token.split('.');
  return segments.length === 3 && segments.every((segment) => BASE64URL.test(segment) && Buffer.from(segment, 'base64url').toString('base64url') === segment);
}

/**
 * Issues and verifies access tokens. Verification pins the algorithm (EdDSA only), the issuer and
 * audience, and accepts only keys from our own store by kid: `alg: none`, HS256 with the public
 * key as secret, a foreign kid and an embedded `jwk` header all fail.
 */
export class AccessTokens {
  #keys: Map<string, PublicKey> = new Map();
  #loadedAt = 0;
  #refreshing: Promise<void> | undefined;
  #signing: { key: Promise<SigningKey>; until: number } | undefined;

  constructor(
    private readonly store: SigningKeyStore,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async issue(claims: AccessTokenClaims): Promise<{ token: string; expiresIn: number }> {
    const key = await this.#signingKey();
    const iat = Math.floor(this.now() / 1000);
    const token = await new SignJWT({ sid: claims.sessionId })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(claims.userId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ACCESS_TOKEN_LIFETIME_SECONDS)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(key.privateKey);
    return { token, expiresIn: ACCESS_TOKEN_LIFETIME_SECONDS };
  }

  /** @throws UnauthenticatedError for any token that is not ours, not valid now, or malformed. */
  async verify(token: string): Promise<AccessTokenClaims> {
    // One token, one spelling: base64url decoders accept padding and ignore trailing bits, so a
    // genuine token could otherwise be presented in several forms that all verify.
    if (!isCanonicalCompactJws(token)) throw new UnauthenticatedError('Invalid access token.');
    try {
      const { payload } = await jwtVerify(token, (header) => this.#keyFor(header), {
        algorithms: [SIGNING_ALGORITHM],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        typ: 'at+jwt',
        requiredClaims: ['sub', 'sid', 'iat', 'exp', 'jti'],
        // jose checks `iat` only with maxTokenAge: without it, a token stamped in the future (an
        // issuer with a fast clock) would outlive the lifetime, as would one whose exp is too late.
        maxTokenAge: ACCESS_TOKEN_LIFETIME_SECONDS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(this.now()),
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw new UnauthenticatedError('Invalid access token.');
      return { userId: payload.sub, sessionId: payload.sid };
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('The access token has expired.');
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) throw new UnauthenticatedError('Invalid access token.');
      throw error;
    }
  }

  /** The public keys, for `GET /.well-known/jwks.json` (a key is created if there is none yet). */
  async jwks(): Promise<{ keys: PublicKey['jwk'][] }> {
    await this.#refresh(true);
    if (this.#keys.size === 0) {
      await this.store.ensureKey();
      await this.#refresh(true);
    }
    return { keys: [...this.#keys.values()].map((k) => k.jwk) };
  }

  #signingKey(): Promise<SigningKey> {
    const now = this.now();
    if (!this.#signing || this.#signing.until <= now) {
      const key = this.store.activeKey();
      this.#signing = { key, until: now + SIGNING_KEY_CACHE_SECONDS * 1000 };
      // A failure must not be cached for the whole period.
      key.catch(() => (this.#signing = undefined));
    }
    return this.#signing.key;
  }

  async #keyFor(header: JWTHeaderParameters): Promise<PublicKey['key']> {
    // Never trust key material carried by the token itself.
    if (header.jwk !== undefined || header.jku !== undefined || header.x5u !== undefined || header.x5c !== undefined) {
      throw new UnauthenticatedError('Invalid access token.');
    }
    if (typeof header.kid !== 'string') throw new UnauthenticatedError('Invalid access token.');
    const nowSeconds = this.now() / 1000;
    if (nowSeconds - this.#loadedAt > KEY_CACHE_SECONDS) await this.#refresh(true);
    let key = this.#keys.get(header.kid);
    if (!key && nowSeconds - this.#loadedAt > UNKNOWN_KID_REFRESH_SECONDS) {
      await this.#refresh(true);
      key = this.#keys.get(header.kid);
    }
    if (!key) throw new UnauthenticatedError('Invalid access token.');
    return key.key;
  }

  async #refresh(force: boolean): Promise<void> {
    if (!force && this.#keys.size > 0) return;
    this.#refreshing ??= (async () => {
      try {
        const keys = await this.store.publicKeys();
        this.#keys = new Map(keys.map((k) => [k.kid, k]));
        this.#loadedAt = this.now() / 1000;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    await this.#refreshing;
  }
}
