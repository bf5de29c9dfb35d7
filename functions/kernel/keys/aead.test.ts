import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSealed, seal, SEALED_FORMAT, SealedValueError, sealedKeyRef, type SealingKey } from './aead';

const key = (ref = 'org:o_1:v1:env'): SealingKey => ({ ref, material: randomBytes(32) });
const identity = { kind: 'env', org: 'o_1', project: 'p_1', name: 'DATABASE_URL', version: 3 };

describe('aead', () => {
  describe('seal', () => {
    it('produces a versioned value naming its key, and opens back to the plaintext', () => {
      const k = key();
      const sealed = seal('postgres://secret', identity, k);
      expect(sealed.startsWith(`${SEALED_FORMAT}.`)).toBe(true);
      expect(sealedKeyRef(sealed)).toBe(k.ref);
      expect(sealed).not.toContain('postgres');
      expect(openSealed(sealed, identity, k).toString('utf8')).toBe('postgres://secret');
    });

    it('uses a fresh 96-bit nonce every time', () => {
      const k = key();
      const nonces = new Set(Array.from({ length: 200 }, () => seal('same', identity, k).split('.')[2]));
      expect(nonces.size).toBe(200);
      expect(Buffer.from([...nonces][0]!, 'base64url').byteLength).toBe(12);
    });

    it('refuses keys that are not 256-bit', () => {
      expect(() => seal('x', identity, { ref: 'k', material: randomBytes(16) })).toThrow(TypeError);
    });
  });

  describe('openSealed', () => {
    it('fails for another record identity (a value moved to another record, tenant or version)', () => {
      const k = key();
      const sealed = seal('v', identity, k);
      for (const other of [{ ...identity, org: 'o_2' }, { ...identity, name: 'OTHER' }, { ...identity, version: 4 }, { ...identity, kind: 'token' }]) {
        expect(() => openSealed(sealed, other, k)).toThrow(SealedValueError);
      }
    });

    it('fails under another key, and when the key reference in the header is swapped', () => {
      const k = key();
      const sealed = seal('v', identity, k);
      expect(() => openSealed(sealed, identity, key())).toThrow(SealedValueError);
      const other = { ref: 'org:o_1:v2:env', material: k.material };
      const swapped = [SEALED_FORMAT, Buffer.from(other.ref).toString('base64url'), ...sealed.split('.').slice(2)].join('.');
      expect(() => openSealed(swapped, identity, other)).toThrow(SealedValueError);
    });

    it('fails for any flipped bit of nonce, ciphertext or tag', () => {
      const k = key();
      const sealed = seal('a value worth protecting', identity, k);
      const [format, ref, nonce, body] = sealed.split('.') as [string, string, string, string];
      const flip = (b64: string, i: number) => {
        const bytes = Buffer.from(b64, 'base64url');
        bytes[i % bytes.byteLength]! ^= 1;
        return bytes.toString('base64url');
      };
      for (let i = 0; i < 12; i++) expect(() => openSealed([format, ref, flip(nonce, i), body].join('.'), identity, k)).toThrow(SealedValueError);
      const bodyLength = Buffer.from(body, 'base64url').byteLength;
      for (let i = 0; i < bodyLength; i++) expect(() => openSealed([format, ref, nonce, flip(body, i)].join('.'), identity, k)).toThrow(SealedValueError);
    });

    it('fails for unknown formats and truncated values', () => {
      const k = key();
      const sealed = seal('v', identity, k);
      expect(() => openSealed(sealed.replace(SEALED_FORMAT, 'rmp9'), identity, k)).toThrow(SealedValueError);
      expect(() => openSealed(sealed.split('.').slice(0, 3).join('.'), identity, k)).toThrow(SealedValueError);
      expect(() => openSealed(`${sealed.split('.').slice(0, 3).join('.')}.AAAA`, identity, k)).toThrow(SealedValueError);
    });
  });
});
