import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventCatalogue } from '../events/catalogue';
import { isSensitiveKey } from '../logging/redact';
import { Keys } from '../storage/keys';
import { AuditActions, isAuditAction, sessionHash } from './catalogue';

/** Every property name a schema accepts, at any depth, as `path.to.key`. */
function keysOf(schema: z.ZodType, path = ''): string[] {
  if (schema instanceof z.ZodObject) {
    return Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([key, inner]) => [`${path}${key}`, ...keysOf(inner, `${path}${key}.`)]);
  }
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) return keysOf(schema.unwrap() as z.ZodType, path);
  if (schema instanceof z.ZodArray) return keysOf(schema.element as z.ZodType, path);
  if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).flatMap((option) => keysOf(option, path));
  if (schema instanceof z.ZodRecord) return [`${path}*`];
  return [];
}

const actions = Object.keys(AuditActions) as (keyof typeof AuditActions)[];

describe('AuditActions', () => {
  it('has actions to walk (the walks below would pass vacuously on an empty catalogue)', () => {
    expect(actions.length).toBeGreaterThan(5);
  });

  it.each(actions)('%s has no metadata key that names a secret', (action) => {
    const keys = keysOf(AuditActions[action]);
    // A key-value record would let any name in; metadata is a fixed set of named facts.
    expect(keys).not.toContain('*');
    expect(keys.filter((key) => key.split('.').some(isSensitiveKey))).toEqual([]);
  });

  it('can see a sensitive key when one is there (the walk is not blind)', () => {
    const leaky = z.strictObject({ reason: z.string(), nested: z.strictObject({ refreshToken: z.string().optional() }) });
    expect(keysOf(leaky).filter((key) => key.split('.').some(isSensitiveKey))).toEqual(['nested.refreshToken']);
  });

  it.each(actions)('%s refuses metadata fields it does not declare', (action) => {
    expect(AuditActions[action].safeParse({ note: 'x' }).success).toBe(false);
  });

  it.each(actions)('%s can be keyed and announced as audit.recorded', (action) => {
    expect(() => Keys.auditByAction('platform', action)).not.toThrow();
    expect(EventCatalogue['audit.recorded'].detail.shape.action.safeParse(action).success).toBe(true);
  });

  it.each(['user.login_succeeded', 'user.session_revoked', 'user.refresh_token_reused'] as const)(
    '%s records a session by its hash and refuses its raw id',
    (action) => {
      const schema = AuditActions[action];
      const rest = { 'user.login_succeeded': { mfa: true }, 'user.session_revoked': { reason: 'logout' }, 'user.refresh_token_reused': {} }[action];
      expect(schema.safeParse({ ...rest, sessionHash: sessionHash('ses_01HZX3') }).success).toBe(true);
      expect(schema.safeParse({ ...rest, sessionHash: 'ses_01HZX3' }).success).toBe(false);
      expect(schema.safeParse({ ...rest, sessionId: 'ses_01HZX3' }).success).toBe(false);
    },
  );

  it('platform.signing_key_rotated records signing keys by kid and refuses key material in its place', () => {
    const schema = AuditActions['platform.signing_key_rotated'];
    expect(schema.safeParse({ kid: 'k_Wr3nQ8x1M0pLz7Ab', previousKid: 'k_a9-F_2kQp0ZxYw1B' }).success).toBe(true);
    expect(schema.safeParse({ kid: 'k_Wr3nQ8x1M0pLz7Ab' }).success).toBe(true);
    // A JWK (public or private) where the kid belongs, or the key alongside it, is refused.
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43), d: 'B'.repeat(43) };
    expect(schema.safeParse({ kid: JSON.stringify(jwk) }).success).toBe(false);
    expect(schema.safeParse({ kid: 'B'.repeat(43) }).success).toBe(false);
    expect(schema.safeParse({ kid: 'k_Wr3nQ8x1M0pLz7Ab', privateKey: jwk }).success).toBe(false);
  });

  describe('sessionHash', () => {
    it('is the hex SHA-256 of the session id (the FIPS 180-2 "abc" vector)', () => {
      expect(sessionHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    });
  });

  describe('isAuditAction', () => {
    it('accepts catalogue actions only, not inherited property names', () => {
      expect(isAuditAction('user.login_failed')).toBe(true);
      for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'user.login', '']) expect(isAuditAction(name)).toBe(false);
    });
  });
});
