import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors';
import { keyPart } from '../storage/keys';
import { bucketId, clientAddress, ipSubject, principalSubject, targetSubject } from './subjects';

describe('subjects', () => {
  describe('bucketId', () => {
    it('is a valid key part that holds no trace of the subject', () => {
      const id = bucketId('login-ip-email', ['203.0.113.7', 'alice@example.com']);
      expect(keyPart(id)).toBe(id);
      expect(id).toMatch(/^login-ip-email:[0-9a-f]{64}$/);
      expect(id).not.toContain('203.0.113.7');
      expect(id).not.toContain('alice');
    });

    it('keeps subjects apart that plain concatenation would merge', () => {
      expect(bucketId('x', ['a', 'bc'])).not.toBe(bucketId('x', ['ab', 'c']));
      expect(bucketId('x', ['1.2.3.4', '5@example.com'])).not.toBe(bucketId('x', ['1.2.3.45', '@example.com']));
    });

    it('keeps an address and a principal with the same text apart', () => {
      expect(bucketId('general', ipSubject('10.0.0.1'))).not.toBe(bucketId('general', ['principal', 'user', '10.0.0.1']));
      expect(bucketId('general', principalSubject({ type: 'user', userId: 'u_1', sessionId: 's' }))).not.toBe(
        bucketId('general', principalSubject({ type: 'api_key', keyId: 'u_1', orgId: 'o', role: 'viewer', createdBy: 'u_2' })),
      );
    });

    it('refuses names that could reach into another key and empty subjects', () => {
      for (const name of ['', 'Auth', 'a#b', 'a:b', 'x'.repeat(41)]) expect(() => bucketId(name, ['s'])).toThrow(ConfigurationError);
      expect(() => bucketId('general', [])).toThrow(ConfigurationError);
    });
  });

  describe('clientAddress', () => {
    it('counts an IPv4 address as itself', () => {
      expect(clientAddress('203.0.113.7')).toBe('203.0.113.7');
    });

    it('counts every IPv6 address of one /64 as one client, however it is written', () => {
      const forms = ['2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0DB8:0001:0002:0:0:0:9', '2001:db8:1:2::1%eth0'];
      for (const form of forms) expect(clientAddress(form), form).toBe('2001:db8:1:2::/64');
      expect(clientAddress('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
      expect(clientAddress('::1')).toBe('0:0:0:0::/64');
      expect(clientAddress('2001:db8::')).toBe('2001:db8:0:0::/64');
    });

    it('counts an IPv4 address inside IPv6 as the IPv4 address', () => {
      expect(clientAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
      expect(clientAddress('64:ff9b::203.0.113.7')).toBe('203.0.113.7');
    });

    it('passes anything that is not an address through, to be hashed like the rest', () => {
      expect(clientAddress('unknown')).toBe('unknown');
    });
  });

  describe('targetSubject', () => {
    it('names the path parameters in name order, so the same target is one bucket', () => {
      expect(targetSubject({ serviceId: 's_1', orgId: 'o_1' })).toEqual(['target', 'orgId=o_1', 'serviceId=s_1']);
      expect(targetSubject({ orgId: 'o_1', serviceId: 's_1' })).toEqual(targetSubject({ serviceId: 's_1', orgId: 'o_1' }));
      expect(targetSubject(null)).toEqual(['target']);
    });
  });
});
