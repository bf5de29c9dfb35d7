import { randomBytes } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  UnsecuredJWT,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isolatedSigningKeys, manualClock, rawSigningKeyItems, type IsolatedSigningKeys } from '../../../test/support/signing-keys';
import { UnauthenticatedError } from '../errors';
import { ACCESS_TOKEN_LIFETIME_SECONDS, AccessTokens, TOKEN_AUDIENCE, TOKEN_ISSUER } from './access-tokens';
import type { SigningKey } from './signing-keys';

// Signing keys live in one global partition; this file works on tables of its own (see
// test/support/signing-keys.ts), so rotating here cannot disturb other files.

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A clock at a whole second, so `iat` and the verifier's `now` line up exactly. */
const wholeSecondClock = () => manualClock(Math.floor(Date.now() / 1000) * 1000);

/** The claims our issuer writes, at `nowMs`. */
function claimsAt(nowMs: number, overrides: Record<string, unknown> = {}): JWTPayload {
  const iat = Math.floor(nowMs / 1000);
  return {
    sid: 's_test',
    iss: TOKEN_ISSUER,
    aud: TOKEN_AUDIENCE,
    sub: 'u_test',
    iat,
    exp: iat + ACCESS_TOKEN_LIFETIME_SECONDS,
    jti: randomBytes(16).toString('base64url'),
    ...overrides,
  };
}

function without(claims: JWTPayload, name: string): JWTPayload {
  const { [name]: _dropped, ...rest } = claims;
  return rest;
}

async function sign(key: CryptoKey | Uint8Array, claims: JWTPayload, header: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
}

/** Flips one bit in the middle of the signature: same length, same alphabet, wrong bytes. */
function corruptSignature(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(s, 'base64url');
  bytes[bytes.length >> 1]! ^= 0x01;
  return `${h}.${p}.${bytes.toString('base64url')}`;
}

/** What a caller (and the HTTP client behind it) can observe of a refusal. */
const observable = (error: UnauthenticatedError) => ({
  name: error.name,
  code: error.code,
  statusCode: error.statusCode,
  message: error.message,
  headers: error.headers,
});

describe('AccessTokens', () => {
  let env: IsolatedSigningKeys;
  let signing: SigningKey;
  let foreign: { publicKey: CryptoKey; privateKey: CryptoKey };
  let clock: ReturnType<typeof manualClock>;
  let tokens: AccessTokens;

  beforeAll(async () => {
    env = await isolatedSigningKeys();
    signing = await env.store.activeKey();
    foreign = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  });

  beforeEach(() => {
    clock = wholeSecondClock();
    tokens = new AccessTokens(env.store, clock.now);
  });

  const ourHeader = (overrides: Record<string, unknown> = {}) => ({ alg: 'EdDSA', typ: 'at+jwt', kid: signing.kid, ...overrides });

  /** Verifies `token` and returns the refusal, which must be an UnauthenticatedError (401). */
  async function refusal(token: string, verifier = tokens): Promise<UnauthenticatedError> {
    const outcome = await verifier.verify(token).then(
      (claims) => ({ accepted: claims }),
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(UnauthenticatedError);
    expect((outcome as UnauthenticatedError).code).toBe('unauthenticated');
    expect((outcome as UnauthenticatedError).statusCode).toBe(401);
    return outcome as UnauthenticatedError;
  }

  it('accepts a token built by hand like the issuer builds it (the control for every forgery below)', async () => {
    const token = await sign(signing.privateKey, claimsAt(clock.now()), ourHeader());
    await expect(tokens.verify(token)).resolves.toEqual({ userId: 'u_test', sessionId: 's_test' });
  });

  describe('issue', () => {
    it('signs with EdDSA under the active kid, typed at+jwt, with exactly our claims and a 15-minute lifetime', async () => {
      const { token, expiresIn } = await tokens.issue({ userId: 'u_1', sessionId: 's_1' });

      expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: signing.kid, typ: 'at+jwt' });
      const claims = decodeJwt(token);
      expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub']);
      expect(claims).toMatchObject({ iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, sub: 'u_1', sid: 's_1', iat: clock.now() / 1000 });
      expect(claims.exp! - claims.iat!).toBe(900);
      expect(expiresIn).toBe(900);
      expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
      await expect(tokens.verify(token)).resolves.toEqual({ userId: 'u_1', sessionId: 's_1' });
    });

    it('gives every token its own jti', async () => {
      const jtis = new Set<unknown>();
      for (let i = 0; i < 20; i++) jtis.add(decodeJwt((await tokens.issue({ userId: 'u_1', sessionId: 's_1' })).token).jti);
      expect(jtis.size).toBe(20);
    });

    it('issues tokens that a third party verifies with nothing but the published JWKS', async () => {
      const { token } = await tokens.issue({ userId: 'u_1', sessionId: 's_1' });
      const jwks = await tokens.jwks();

      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
        algorithms: ['EdDSA'],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        currentDate: new Date(clock.now()),
      });
      expect(payload.sub).toBe('u_1');
    });
  });

  describe('jwks', () => {
    it('publishes the active public key and no private parameter', async () => {
      const { keys } = await tokens.jwks();

      expect(keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), alg: 'EdDSA', use: 'sig', kid: signing.kid }]);
    });
  });

  describe('verify', () => {
    describe('refuses tokens not signed by our key', () => {
      it('refuses alg "none" with otherwise valid claims (with and without our kid and typ)', async () => {
        const claims = claimsAt(clock.now());
        await refusal(new UnsecuredJWT(claims).encode());
        await refusal(`${b64({ alg: 'none', typ: 'at+jwt', kid: signing.kid })}.${b64(claims)}.`);
        await refusal(`${b64({ alg: 'None', typ: 'at+jwt', kid: signing.kid })}.${b64(claims)}.`);
        // "none" with a signature copied from a genuine token still is not EdDSA.
        const genuine = await sign(signing.privateKey, claims, ourHeader());
        await refusal(`${b64({ alg: 'none', typ: 'at+jwt', kid: signing.kid })}.${b64(claims)}.${genuine.split('.')[2]}`);
      });

      it('refuses HS256 keyed with our public key (algorithm confusion), whatever form the secret takes', async () => {
        const [jwk] = (await tokens.jwks()).keys;
        const secrets = {
          'the raw public key bytes': Buffer.from(jwk!.x, 'base64url'),
          'the x parameter as text': Buffer.from(jwk!.x),
          'the published JWK as JSON': Buffer.from(JSON.stringify(jwk)),
          'the bare OKP JWK as JSON': Buffer.from(JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: jwk!.x })),
        };
        for (const secret of Object.values(secrets)) {
          for (const alg of ['HS256', 'HS512']) await refusal(await sign(secret, claimsAt(clock.now()), ourHeader({ alg })));
        }
      });

      it('refuses a token signed by a foreign Ed25519 key under a kid we do not have', async () => {
        await refusal(await sign(foreign.privateKey, claimsAt(clock.now()), ourHeader({ kid: 'k_attacker0000000000' })));
        await refusal(await sign(foreign.privateKey, claimsAt(clock.now()), ourHeader({ kid: undefined })));
      });

      it('refuses a token signed by a foreign Ed25519 key under our kid (the signature fails)', async () => {
        await refusal(await sign(foreign.privateKey, claimsAt(clock.now()), ourHeader()));
      });

      it('refuses a token that carries its own key in a jwk header', async () => {
        const attackerJwk = await exportJWK(foreign.publicKey);
        await refusal(await sign(foreign.privateKey, claimsAt(clock.now()), ourHeader({ jwk: attackerJwk })));
        await refusal(await sign(foreign.privateKey, claimsAt(clock.now()), ourHeader({ kid: undefined, jwk: attackerJwk })));
      });

      it('refuses a token that points at the attacker\'s keys with jku or x5u', async () => {
        for (const header of [{ jku: 'https://attacker.example/jwks.json' }, { x5u: 'https://attacker.example/cert.pem' }]) {
          await refusal(await sign(foreign.privateKey, claimsAt(clock.now()), ourHeader({ kid: 'attacker', ...header })));
          await refusal(await sign(foreign.privateKey, claimsAt(clock.now()), ourHeader(header)));
        }
      });

      it('refuses a genuine token whose payload was changed, and a genuine signature spliced onto other claims', async () => {
        const { token } = await tokens.issue({ userId: 'u_victim', sessionId: 's_victim' });
        const [h, p, s] = token.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as JWTPayload;
        await refusal(`${h}.${b64({ ...claims, sub: 'u_attacker' })}.${s}`);
        await refusal(`${h}.${b64({ ...claims, exp: claims.exp! + 86_400 })}.${s}`);
        // Same claims, re-encoded with different JSON spacing: the bytes signed are what count.
        await refusal(`${h}.${b64(JSON.stringify(claims, null, 1))}.${s}`);

        const other = (await tokens.issue({ userId: 'u_attacker', sessionId: 's_attacker' })).token.split('.');
        await refusal(`${other[0]}.${other[1]}.${s}`);
        await refusal(corruptSignature(token));
      });

      it('refuses a genuine token in any spelling but its canonical one (padding, non-zero trailing bits)', async () => {
        const { token } = await tokens.issue({ userId: 'u_1', sessionId: 's_1' });
        const [h, p, s] = token.split('.') as [string, string, string];
        // An Ed25519 signature is 64 bytes: 86 characters, whose last one carries 4 unused bits.
        const last = s.at(-1)!;
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const sameBytes = alphabet[(alphabet.indexOf(last) & ~0b1111) | ((alphabet.indexOf(last) + 1) & 0b1111)]!;
        expect(Buffer.from(`${s.slice(0, -1)}${sameBytes}`, 'base64url')).toEqual(Buffer.from(s, 'base64url'));
        await refusal(`${h}.${p}.${s.slice(0, -1)}${sameBytes}`);
        await refusal(`${h}.${p}.${s}==`);
        await refusal(`${h}=.${p}.${s}`);
        await refusal(`${h}.${p}=.${s}`);
        await expect(tokens.verify(token)).resolves.toMatchObject({ userId: 'u_1' });
      });

      it('refuses truncated tokens', async () => {
        const { token } = await tokens.issue({ userId: 'u_1', sessionId: 's_1' });
        const [h, p, s] = token.split('.') as [string, string, string];
        for (const truncated of [token.slice(0, -1), token.slice(0, -4), `${h}.${p}.`, `${h}.${p}`, `${h}.`, h, `${h}..${s}`, `.${p}.${s}`, token.slice(0, token.length >> 1)]) {
          await refusal(truncated);
        }
      });

      it('refuses garbage', async () => {
        const garbage = [
          '',
          'garbage',
          '..',
          'a.b.c',
          'a.b.c.d.e',
          `${b64('not json')}.${b64({ sub: 'u_1' })}.c2ln`,
          `${b64([1, 2])}.${b64({ sub: 'u_1' })}.c2ln`,
          `${b64({ alg: 'EdDSA', kid: signing.kid })}.${b64('[]')}.c2ln`,
          'rmp_live_0123456789abcdef0123456789abcdef',
          'x'.repeat(10_000),
        ];
        for (const token of garbage) await refusal(token);
      });
    });

    describe('refuses our own signature on claims or headers we never issue', () => {
      // Signed with the real key: only the claim or header under test is wrong, so each of these
      // fails only if verify() checks that particular thing.
      const cases: [string, (nowMs: number) => JWTPayload, Record<string, unknown>?][] = [
        ['another issuer', (now) => claimsAt(now, { iss: 'urn:attacker:identity' })],
        ['another audience', (now) => claimsAt(now, { aud: 'urn:rampart:admin' })],
        ['an audience list without ours', (now) => claimsAt(now, { aud: ['urn:a', 'urn:b'] })],
        ['no sid', (now) => without(claimsAt(now), 'sid')],
        ['a sid that is not a string', (now) => claimsAt(now, { sid: 42 })],
        ['no jti', (now) => without(claimsAt(now), 'jti')],
        ['no sub', (now) => without(claimsAt(now), 'sub')],
        ['a sub that is not a string', (now) => claimsAt(now, { sub: ['u_1'] })],
        ['no iat', (now) => without(claimsAt(now), 'iat')],
        ['no exp', (now) => without(claimsAt(now), 'exp')],
        ['an exp that is not a number', (now) => claimsAt(now, { exp: String(Math.floor(now / 1000) + 900) })],
        ['an nbf a minute in the future', (now) => claimsAt(now, { nbf: Math.floor(now / 1000) + 60 })],
        ['an iat an hour in the future (and an exp to match)', (now) => claimsAt(now + 3_600_000)],
        ['an iat just beyond the clock tolerance', (now) => claimsAt(now + 6_000)],
        ['a lifetime longer than 15 minutes, once older than that', (now) => claimsAt(now - 1_000_000, { exp: Math.floor(now / 1000) + 3600 })],
        ['typ JWT', (now) => claimsAt(now), { typ: 'JWT' }],
        ['no typ', (now) => claimsAt(now), { typ: undefined }],
        ['alg labelled Ed25519 (not the pinned EdDSA)', (now) => claimsAt(now), { alg: 'Ed25519' }],
        ['no kid', (now) => claimsAt(now), { kid: undefined }],
        ['a kid we do not have', (now) => claimsAt(now), { kid: 'k_unknown000000000000' }],
        ['a jwk header, even of our own key', (now) => claimsAt(now), { jwk: 'OUR_JWK' }],
        ['a jku header', (now) => claimsAt(now), { jku: 'https://rampart.test/.well-known/jwks.json' }],
        ['an x5u header', (now) => claimsAt(now), { x5u: 'https://rampart.test/cert.pem' }],
        ['an x5c header', (now) => claimsAt(now), { x5c: ['MIIB'] }],
      ];

      it.each(cases)('refuses %s', async (_name, claims, header = {}) => {
        const ourJwk = (await tokens.jwks()).keys[0];
        const resolved = Object.fromEntries(Object.entries(header).map(([k, v]) => [k, v === 'OUR_JWK' ? ourJwk : v]));
        await refusal(await sign(signing.privateKey, claims(clock.now()), ourHeader(resolved)));
      });

      it('accepts the same signature on a token issued up to the 5 s tolerance in the future, and typ application/at+jwt', async () => {
        await expect(tokens.verify(await sign(signing.privateKey, claimsAt(clock.now() + 5_000), ourHeader()))).resolves.toBeDefined();
        await expect(tokens.verify(await sign(signing.privateKey, claimsAt(clock.now()), ourHeader({ typ: 'application/at+jwt' })))).resolves.toBeDefined();
      });
    });

    describe('expiry', () => {
      it('accepts a token until 5 s past its exp and refuses it from then on', async () => {
        const { token } = await tokens.issue({ userId: 'u_1', sessionId: 's_1' });

        clock.advanceSeconds(ACCESS_TOKEN_LIFETIME_SECONDS + 4);
        await expect(tokens.verify(token)).resolves.toEqual({ userId: 'u_1', sessionId: 's_1' });

        clock.advanceSeconds(1);
        await refusal(token);
        clock.advanceSeconds(86_400);
        await refusal(token);
      });
    });

    describe('order of checks', () => {
      it('checks the signature before the claims: a forged, expired token is refused as forged, not as expired', async () => {
        const expired = claimsAt(clock.now() - 3_600_000);
        const fresh = claimsAt(clock.now());

        const genuineExpired = await refusal(await sign(signing.privateKey, expired, ourHeader()));
        const forgedFresh = await refusal(await sign(foreign.privateKey, fresh, ourHeader()));
        const forgedExpired = await refusal(await sign(foreign.privateKey, expired, ourHeader()));
        const corruptedExpired = await refusal(corruptSignature(await sign(signing.privateKey, expired, ourHeader())));

        // An expired token is told apart from a forged one (a client may refresh on the former)...
        expect(observable(genuineExpired)).not.toEqual(observable(forgedFresh));
        // ...so if the claims were read before the signature, these would look expired.
        expect(observable(forgedExpired)).toEqual(observable(forgedFresh));
        expect(observable(corruptedExpired)).toEqual(observable(forgedFresh));
      });

    });
  });

  describe('across a key rotation', () => {
    let rotating: IsolatedSigningKeys;

    beforeEach(async () => {
      rotating = await isolatedSigningKeys({ now: clock.date });
    });

    it('keeps verifying tokens signed before the rotation, and signs with the new kid after it', async () => {
      const issuer = new AccessTokens(rotating.store, clock.now);
      const verifier = new AccessTokens(rotating.store, clock.now);
      const before = (await issuer.issue({ userId: 'u_1', sessionId: 's_1' })).token;
      const oldKid = decodeProtectedHeader(before).kid;
      await expect(verifier.verify(before)).resolves.toBeDefined();

      clock.advanceSeconds(60);
      const newKid = await rotating.store.rotate();

      // A cold instance signs with the new key at once.
      const after = (await new AccessTokens(rotating.store, clock.now).issue({ userId: 'u_1', sessionId: 's_1' })).token;
      expect(decodeProtectedHeader(after).kid).toBe(newKid);
      expect(newKid).not.toBe(oldKid);
      // A verifier that loaded the keys before the rotation looks the unknown kid up, and still knows the old one.
      await expect(verifier.verify(after)).resolves.toEqual({ userId: 'u_1', sessionId: 's_1' });
      await expect(verifier.verify(before)).resolves.toEqual({ userId: 'u_1', sessionId: 's_1' });
      // A warm instance keeps its opened key for at most 5 minutes, then moves on.
      expect(decodeProtectedHeader((await issuer.issue({ userId: 'u_1', sessionId: 's_1' })).token).kid).toBe(oldKid);
      clock.advanceSeconds(300);
      const later = (await issuer.issue({ userId: 'u_1', sessionId: 's_1' })).token;
      expect(decodeProtectedHeader(later).kid).toBe(newKid);

      for (const token of [before, after, later]) await expect(verifier.verify(token)).resolves.toEqual({ userId: 'u_1', sessionId: 's_1' });
      expect((await verifier.jwks()).keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    });

    it('refuses tokens of a retired key once its grace period has ended', async () => {
      const issuer = new AccessTokens(rotating.store, clock.now);
      const verifier = new AccessTokens(rotating.store, clock.now);
      const { token } = await issuer.issue({ userId: 'u_1', sessionId: 's_1' });
      const oldKid = decodeProtectedHeader(token).kid;
      await rotating.store.rotate();
      await expect(verifier.verify(token)).resolves.toBeDefined();

      // The grace period ends early (written by hand; the table hides expired items).
      const retired = (await rawSigningKeyItems(rotating.table)).find((i) => String(i.sk) === `KEY#${oldKid}`)!;
      await rotating.table.put({ ...retired, pk: retired.pk as string, sk: retired.sk as string, expiresAt: Math.floor(Date.now() / 1000) - 1 });

      await refusal(token, new AccessTokens(rotating.store, clock.now));
      expect((await new AccessTokens(rotating.store, clock.now).jwks()).keys.map((k) => k.kid)).not.toContain(oldKid);
      // A warm verifier trusts its copy of the keys for at most 5 minutes.
      clock.advanceSeconds(301);
      await refusal(token, verifier);
    });

    it('keeps the old key published for as long as a token an instance signed with it after the rotation is valid', async () => {
      // The table drops a retired key by the real clock, so the story is set in the past and the
      // last check happens now: the token's last valid second (exp + 5 s tolerance).
      const realNow = Math.floor(Date.now() / 1000) * 1000;
      const cacheSeconds = 298; // an instance signs with the key it opened for up to 300 s
      const rotatedAt = realNow - (cacheSeconds + ACCESS_TOKEN_LIFETIME_SECONDS + 4) * 1000;
      clock.set(rotatedAt - 1000);
      const warmIssuer = new AccessTokens(rotating.store, clock.now);
      const oldKid = decodeProtectedHeader((await warmIssuer.issue({ userId: 'u_1', sessionId: 's_1' })).token).kid;

      clock.set(rotatedAt);
      await rotating.store.rotate();
      clock.advanceSeconds(cacheSeconds);
      const { token } = await warmIssuer.issue({ userId: 'u_1', sessionId: 's_1' });
      expect(decodeProtectedHeader(token).kid).toBe(oldKid);

      clock.set(realNow);
      expect(decodeJwt(token).exp! + 5).toBeGreaterThan(realNow / 1000);
      await expect(new AccessTokens(rotating.store, clock.now).verify(token)).resolves.toEqual({ userId: 'u_1', sessionId: 's_1' });
    });
  });
});
