import { z } from 'zod';
import type { OrgScope } from '../kernel/auth/org-scope';
import { ConflictError } from '../kernel/errors';
import type { KeyProvider } from '../kernel/keys/key-provider';
import { createOrgKey } from '../kernel/keys/org-keys';
import type { TransactWrite } from '../kernel/storage/table';
import { KeyRotationRecord, keyRotationWrite, RESEAL_STALL_MS } from '../kernel/tenancy/org-key-rotation';
import { currentOrgKey, updateOrgWrite, type OrgRecord } from '../kernel/tenancy/org-record';

/** A key version as the API shows it: its number and dates, never key material (not even wrapped). */
const KeyVersionView = z.object({
  version: z.number(),
  createdAt: z.string().optional(),
  /** `sealing`: new values are sealed under it; `retiring`: it still opens values a re-seal has not reached. */
  state: z.enum(['sealing', 'retiring']),
}).meta({ id: 'KeyVersion' });

/** A rotation as the API shows it: its record, less the re-seal's working state. */
export const KeyRotationView = KeyRotationRecord.omit({ foundThisPass: true, cursor: true, version: true }).meta({ id: 'KeyRotation' });

export const OrgKeysView = z.object({
  sealingKeyVersion: z.number(),
  versions: z.array(KeyVersionView),
  rotation: KeyRotationView.optional(),
}).meta({ id: 'OrgKeys' });

export const rotationView = (r: KeyRotationRecord): z.output<typeof KeyRotationView> => ({
  keyVersion: r.keyVersion,
  previousVersion: r.previousVersion,
  status: r.status,
  startedAt: r.startedAt,
  startedBy: r.startedBy,
  updatedAt: r.updatedAt,
  ...(r.completedAt ? { completedAt: r.completedAt } : {}),
  resealed: r.resealed,
  pass: r.pass,
});

export function orgKeysView(org: OrgRecord, rotation: KeyRotationRecord | undefined): z.output<typeof OrgKeysView> {
  const sealing = currentOrgKey(org);
  return {
    sealingKeyVersion: sealing?.version ?? 0,
    versions: (org.orgKeys ?? []).map((k) => ({ version: k.version, ...(k.createdAt ? { createdAt: k.createdAt } : {}), state: k === sealing ? ('sealing' as const) : ('retiring' as const) })),
    ...(rotation ? { rotation: rotationView(rotation) } : {}),
  };
}

const changedMeanwhile = () => new ConflictError('A rotation of this organization key started or moved on meanwhile; read GET …/keys and retry.');

/** Refuses a rotation while the previous re-seal still makes progress; a stalled one may be resumed. */
export function assertNotResealing(current: KeyRotationRecord, now: Date): void {
  if (now.getTime() - Date.parse(current.updatedAt) < RESEAL_STALL_MS) {
    throw new ConflictError(`Key version ${current.keyVersion} is still being re-sealed (${current.resealed} values so far); wait until it completes (GET …/keys).`);
  }
}

/** A stalled re-seal, touched so that it counts as moving again, and the write that records it. */
export function resumeRotation(scope: OrgScope, current: KeyRotationRecord, now: Date): { rotation: KeyRotationRecord; writes: TransactWrite[] } {
  const rotation = { ...current, updatedAt: now.toISOString() };
  return { rotation, writes: [keyRotationWrite(scope, rotation, current.version, changedMeanwhile)] };
}

/**
 * A new key version, made here (wrapping needs no decrypt permission), that seals every new value
 * from now on, and the rotation record the deploy path's re-seal follows. The old versions stay
 * until the re-seal has moved everything they sealed.
 */
export async function startRotation(
  keys: KeyProvider,
  scope: OrgScope,
  org: OrgRecord,
  current: KeyRotationRecord | undefined,
  startedBy: string,
  now: Date,
): Promise<{ rotation: KeyRotationRecord; writes: TransactWrite[] }> {
  const sealing = currentOrgKey(org);
  if (!sealing) throw new ConflictError('The organization has no key to rotate.');
  const at = now.toISOString();
  const keyVersion = sealing.version + 1;
  const record = { ...(await createOrgKey(keys, scope.orgId, keyVersion)), createdAt: at };
  const rotation: KeyRotationRecord = {
    keyVersion,
    previousVersion: sealing.version,
    status: 'resealing',
    startedAt: at,
    startedBy,
    updatedAt: at,
    resealed: 0,
    pass: 1,
    foundThisPass: 0,
    version: (current?.version ?? 0) + 1,
  };
  return {
    rotation,
    writes: [
      updateOrgWrite(scope, { ...org, orgKeys: [...(org.orgKeys ?? []), record], sealingKeyVersion: keyVersion, updatedAt: at }),
      keyRotationWrite(scope, rotation, current?.version ?? 0, changedMeanwhile),
    ],
  };
}
