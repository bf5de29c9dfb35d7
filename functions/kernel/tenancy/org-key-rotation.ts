import { z } from 'zod';
import type { OrgScope } from '../auth/org-scope';
import { ConflictError } from '../errors';
import { defineEntity } from '../storage/entity';
import { Keys } from '../storage/keys';
import type { Table, TransactWrite } from '../storage/table';

/**
 * The latest rotation of an organization's key and the progress of its re-seal, at
 * `ORG#<orgId>` / `KEYROTATION`. The orgs domain starts a rotation (a new key version that seals
 * every new value from then on); the deploy path, the only holder of organization keys, re-seals
 * the existing values page by page, each page in one transaction with this record, so the progress
 * is exact and a stopped re-seal resumes where it stopped. Old versions stay on the organization,
 * and keep opening what they sealed, until a whole pass finds nothing left under them.
 */
export const KeyRotationRecord = z.object({
  /** The version being re-sealed to. */
  keyVersion: z.number().int().min(2),
  previousVersion: z.number().int().min(1),
  status: z.enum(['resealing', 'complete']),
  startedAt: z.string(),
  /** The user or API key that started it. */
  startedBy: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().optional(),
  /** Values re-sealed so far. */
  resealed: z.number().int().min(0),
  /** Passes over the organization's values: the re-seal ends with a pass that finds none left. */
  pass: z.number().int().min(1),
  /** Values found under an old version in the current pass so far. */
  foundThisPass: z.number().int().min(0),
  /** Where the current pass goes on (a storage cursor within the organization's partition). */
  cursor: z.string().optional(),
  version: z.number(),
});
export type KeyRotationRecord = z.output<typeof KeyRotationRecord>;

export const KeyRotations = defineEntity({ name: 'key rotation', schema: KeyRotationRecord, key: Keys.keyRotation });

/** A re-seal that made no progress for this long is stalled: starting a rotation again resumes it. */
export const RESEAL_STALL_MS = 15 * 60_000;

export async function getKeyRotation(table: Table, scope: OrgScope): Promise<KeyRotationRecord | undefined> {
  return table.read(KeyRotations.at(scope));
}

/** Another worker recorded progress first (a duplicate delivery): this one stops. */
export class ResealSupersededError extends ConflictError {
  constructor() {
    super('Another worker is re-sealing this organization.');
  }
}

/**
 * Writes the rotation record if it is still at `expectedVersion` (0: there was none), so two
 * starts, or two workers, cannot both move it on.
 */
export function keyRotationWrite(scope: OrgScope, record: KeyRotationRecord, expectedVersion: number, onConditionFailed: () => Error = () => new ResealSupersededError()): TransactWrite {
  const { version: _version, ...rest } = record;
  return KeyRotations.at(scope).putVersioned(rest, expectedVersion, onConditionFailed);
}
