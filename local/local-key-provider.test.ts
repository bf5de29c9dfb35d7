import { mkdtemp, readFile, stat, chmod, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyUnwrapError } from '../functions/kernel/keys/key-provider';
import { LocalKeyProvider } from './local-key-provider';

const tempDir = () => mkdtemp(join(tmpdir(), 'rampart-keys-'));

describe('LocalKeyProvider', () => {
  describe('fromFile', () => {
    it('creates a 256-bit root key with mode 0600 on first start and reuses it after', async () => {
      const path = join(await tempDir(), 'keys', 'root.key');
      const first = await LocalKeyProvider.fromFile(path);
      const info = await stat(path);
      expect(info.mode & 0o777).toBe(0o600);
      expect((await readFile(path)).byteLength).toBe(32);
      const second = await LocalKeyProvider.fromFile(path);
      expect(second.rootKeyId).toBe(first.rootKeyId);
      const key = await first.generateDataKey({ org: 'o_1' });
      expect(Buffer.from(await second.decryptDataKey(key.wrapped, { org: 'o_1' }))).toEqual(Buffer.from(key.plaintext));
    });

    it('refuses a root key file other users can read', async () => {
      const dir = await tempDir();
      const path = join(dir, 'root.key');
      await mkdir(dir, { recursive: true });
      await writeFile(path, Buffer.alloc(32, 1));
      await chmod(path, 0o644);
      await expect(LocalKeyProvider.fromFile(path)).rejects.toThrow(/readable by other users/);
    });
  });

  describe('decryptDataKey', () => {
    it('fails with KeyUnwrapError for another context, a reordered-but-equal context succeeding', async () => {
      const keys = LocalKeyProvider.ephemeral();
      const key = await keys.generateDataKey({ org: 'o_1', purpose: 'env' });
      expect(key.plaintext.byteLength).toBe(32);
      await expect(keys.decryptDataKey(key.wrapped, { org: 'o_2', purpose: 'env' })).rejects.toBeInstanceOf(KeyUnwrapError);
      await expect(keys.decryptDataKey(key.wrapped, { org: 'o_1' })).rejects.toBeInstanceOf(KeyUnwrapError);
      await expect(keys.decryptDataKey(key.wrapped, { purpose: 'env', org: 'o_1' })).resolves.toEqual(Buffer.from(key.plaintext));
    });

    it('fails with KeyUnwrapError for a tampered or foreign wrapped key', async () => {
      const keys = LocalKeyProvider.ephemeral();
      const key = await keys.generateDataKey({ org: 'o_1' });
      const tampered = Buffer.from(key.wrapped);
      tampered[tampered.byteLength - 1]! ^= 1;
      await expect(keys.decryptDataKey(tampered, { org: 'o_1' })).rejects.toBeInstanceOf(KeyUnwrapError);
      await expect(LocalKeyProvider.ephemeral().decryptDataKey(key.wrapped, { org: 'o_1' })).rejects.toBeInstanceOf(KeyUnwrapError);
      await expect(keys.decryptDataKey(Buffer.alloc(5), { org: 'o_1' })).rejects.toBeInstanceOf(KeyUnwrapError);
    });

    it('refuses an empty encryption context, as a guard against unbound keys', async () => {
      await expect(LocalKeyProvider.ephemeral().generateDataKey({})).rejects.toThrow(TypeError);
    });
  });
});
