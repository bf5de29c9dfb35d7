import { randomBytes } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { openSealed, seal } from '../functions/kernel/keys/aead';
import { createOrgKey, OrgKeyRing, sealEnvValue, type EnvValueIdentity } from '../functions/kernel/keys/org-keys';
import { LocalKeyProvider } from '../local/local-key-provider';
import type { BenchCase } from './measure';

/**
 * The cipher cases, on the same plaintexts: Rampart env values (X25519 ECIES + AES-256-GCM),
 * Rampart symmetric sealed values (AES-256-GCM under an HKDF purpose key), and the AWS Encryption
 * SDK with a raw AES-256 keyring and its committing unsigned suite, as the reference.
 */

export const SCHEMES = { env: 'rampart-env', sealed: 'rampart-sealed', esdk: 'esdk' } as const;
export type Scheme = (typeof SCHEMES)[keyof typeof SCHEMES];
export type Operation = 'seal' | 'open';

export interface CipherCase extends BenchCase {
  readonly scheme: Scheme;
  readonly operation: Operation;
  readonly sizeBytes: number;
  /** Bytes stored per value (Rampart: the base64url string; ESDK: the binary message). */
  readonly sealedBytes: number;
}

const ORG_ID = 'o_bench';
// The ESDK's encryption context carries what Rampart binds as AAD (record identity and key), so
// both sides authenticate a similar amount of context.
const identity: EnvValueIdentity = { org: ORG_ID, project: 'p_01JBENCHPROJECT0000', service: 's_api', name: 'DATABASE_URL', version: 1 };
const encryptionContext = {
  org: identity.org,
  project: identity.project,
  service: identity.service,
  name: identity.name,
  version: String(identity.version),
  purpose: 'env',
};

const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const ESDK_SUITE = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;

class BenchVerificationError extends Error {
  constructor(what: string) {
    super(`${what}: decrypt(encrypt(x)) !== x`);
    this.name = 'BenchVerificationError';
  }
}

function assertRoundTrip(what: string, plaintext: Uint8Array, opened: Uint8Array): void {
  if (!Buffer.from(opened).equals(plaintext)) throw new BenchVerificationError(what);
}

/** The ESDK does not check the context on decrypt; a caller must, so the benchmark does too. */
function assertContext(actual: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(encryptionContext)) if (actual[k] !== v) throw new Error(`encryption context mismatch on ${k}`);
}

/** Builds the seal and open cases for each size, each checked once to round-trip. */
export async function buildCipherCases(sizes: readonly number[]): Promise<CipherCase[]> {
  const keys = LocalKeyProvider.ephemeral();
  const record = await createOrgKey(keys, ORG_ID, 1);
  const orgKey = await new OrgKeyRing(keys).open(ORG_ID, record);
  const integrationKey = orgKey.purposeKey('integration');
  const keyring = new RawAesKeyringNode({
    keyNamespace: 'rampart-bench',
    keyName: 'aes-256-wrapping-key',
    unencryptedMasterKey: randomBytes(32),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const esdkEncrypt = (plaintext: Uint8Array) => esdk.encrypt(keyring, plaintext, { suiteId: ESDK_SUITE, encryptionContext });
  const esdkDecrypt = async (ciphertext: Uint8Array) => {
    const { plaintext, messageHeader } = await esdk.decrypt(keyring, ciphertext);
    assertContext(messageHeader.encryptionContext);
    return plaintext;
  };

  const cases: CipherCase[] = [];
  for (const sizeBytes of sizes) {
    const plaintext = randomBytes(sizeBytes);

    const envSealed = sealEnvValue(ORG_ID, record, identity, plaintext);
    assertRoundTrip(`${SCHEMES.env} ${sizeBytes} B`, plaintext, orgKey.openEnvValue(identity, envSealed));
    const sealed = seal(plaintext, identity, integrationKey);
    assertRoundTrip(`${SCHEMES.sealed} ${sizeBytes} B`, plaintext, openSealed(sealed, identity, integrationKey));
    const { result: message } = await esdkEncrypt(plaintext);
    assertRoundTrip(`${SCHEMES.esdk} ${sizeBytes} B`, plaintext, await esdkDecrypt(message));

    const add = (scheme: Scheme, operation: Operation, sealedBytes: number, run: () => unknown) =>
      cases.push({ name: `${scheme} ${operation} ${sizeBytes} B`, scheme, operation, sizeBytes, sealedBytes, run });
    add(SCHEMES.env, 'seal', envSealed.length, () => sealEnvValue(ORG_ID, record, identity, plaintext));
    add(SCHEMES.env, 'open', envSealed.length, () => orgKey.openEnvValue(identity, envSealed));
    add(SCHEMES.sealed, 'seal', sealed.length, () => seal(plaintext, identity, integrationKey));
    add(SCHEMES.sealed, 'open', sealed.length, () => openSealed(sealed, identity, integrationKey));
    add(SCHEMES.esdk, 'seal', message.byteLength, () => esdkEncrypt(plaintext));
    add(SCHEMES.esdk, 'open', message.byteLength, () => esdkDecrypt(message));
  }
  return cases;
}
