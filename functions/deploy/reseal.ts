import type { AuditTrail } from '../kernel/audit/audit-trail';
import { AuditScopes } from '../kernel/audit/scopes';
import { type OrgScope } from '../kernel/auth/org-scope';
import { ConflictError, PreconditionFailedError } from '../kernel/errors';
import { SealedValueError } from '../kernel/keys/aead';
import { sealEnvValue, type OrgKeyRing } from '../kernel/keys/org-keys';
import type { Logger } from '../kernel/logging/logger';
import { Conditions } from '../kernel/storage/conditions';
import type { Table, TransactWrite } from '../kernel/storage/table';
import { getKeyRotation, keyRotationWrite, ResealSupersededError, type KeyRotationRecord } from '../kernel/tenancy/org-key-rotation';
import { getOrg, orgKeyVersion, updateOrgWrite, type OrgRecord } from '../kernel/tenancy/org-record';
import { envValueIdentity, envVarAt, EnvVars, type EnvVarRecord } from '../projects/env';

/**
 * Re-seals an organization's environment values under the key version a rotation made, for the
 * deploy path (the only code that holds organization keys). Each page of values is re-sealed in
 * one transaction together with the rotation's progress, so progress is exact, a stopped re-seal
 * resumes from its cursor, and a duplicate worker loses the race on the progress record and stops.
 * Values keep opening all along: the old key versions stay on the organization until a whole pass
 * finds nothing under them, and only then are they retired (their wrapped keys removed).
 */

export interface ResealDeps {
  readonly table: Table;
  readonly ring: OrgKeyRing;
  readonly audit: AuditTrail;
  readonly logger: Logger;
}

export interface ResealOptions {
  /** Stop starting pages after this time (ms since the epoch): the caller then asks to continue. */
  readonly deadline?: number;
  /** Values per page (each page is one transaction, with the progress record). @default 25 */
  readonly pageSize?: number;
  /** Stop (paused) after this many pages: a bounded run. @default unbounded */
  readonly maxPages?: number;
  readonly now?: () => Date;
}

/**
 * `complete`: every value is under `keyVersion` and the old versions are retired. `paused`: the
 * deadline came first; call again. `stopped`: nothing to do here (no such rotation in progress,
 * the organization is gone, or another worker holds it).
 */
export type ResealOutcome = 'complete' | 'paused' | 'stopped';

// A 32 KiB value is about 44 KB sealed: 25 of them stay well inside a transaction's 4 MB.
const DEFAULT_PAGE_SIZE = 25;
// Another writer changed a value of the page between the read and the write: read the page again.
class ValueChangedMeanwhile extends ConflictError {
  constructor() {
    super('A value changed while it was being re-sealed.');
  }
}

export async function resealOrgValues(deps: ResealDeps, scope: OrgScope, keyVersion: number, options: ResealOptions = {}): Promise<ResealOutcome> {
  const { table } = deps;
  const now = options.now ?? (() => new Date());
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  for (let pages = 0; ; pages++) {
    const rotation = await getKeyRotation(table, scope);
    if (!rotation || rotation.keyVersion !== keyVersion || rotation.status !== 'resealing') return 'stopped';
    const org = await getOrg(table, scope);
    if (!org) return 'stopped';
    if ((options.deadline !== undefined && Date.now() >= options.deadline) || (options.maxPages !== undefined && pages >= options.maxPages)) return 'paused';

    const page = await table.queryPage(EnvVars.query.ofOrg(scope), { limit: pageSize, cursor: rotation.cursor, consistent: true });
    const stale = page.items.filter((v) => v.keyVersion !== keyVersion);
    const writes = await Promise.all(stale.map((v) => resealWrite(deps, scope, org, keyVersion, v)));
    const at = now().toISOString();
    const found = rotation.foundThisPass + stale.length;
    const endOfPass = page.cursor === undefined;

    if (endOfPass && found === 0) {
      try {
        await complete(deps, scope, org, rotation, at);
      } catch (error) {
        if (error instanceof ResealSupersededError) return 'stopped';
        throw error;
      }
      return 'complete';
    }
    const { cursor: _cursor, ...rest } = rotation;
    const next: KeyRotationRecord = endOfPass
      ? { ...rest, resealed: rotation.resealed + stale.length, pass: rotation.pass + 1, foundThisPass: 0, updatedAt: at }
      : { ...rest, resealed: rotation.resealed + stale.length, foundThisPass: found, cursor: page.cursor, updatedAt: at };
    try {
      await table.transact([...writes, keyRotationWrite(scope, next, rotation.version)]);
    } catch (error) {
      if (error instanceof ResealSupersededError) return 'stopped';
      if (!(error instanceof ValueChangedMeanwhile)) throw error;
      // A value of the page was set or deleted meanwhile (under the new version): read it again.
    }
  }
}

/** Opens a value under the version it names and seals it again, same identity, under `keyVersion`. */
async function resealWrite(deps: ResealDeps, scope: OrgScope, org: OrgRecord, keyVersion: number, value: EnvVarRecord): Promise<TransactWrite> {
  const from = orgKeyVersion(org, value.keyVersion);
  const to = orgKeyVersion(org, keyVersion);
  if (!from || !to) throw new SealedValueError(`${value.name} is sealed under key version ${value.keyVersion}, which the organization no longer holds.`);
  const identity = envValueIdentity(scope, value);
  const plaintext = (await deps.ring.open(scope.orgId, from)).openEnvValue(identity, value.sealed);
  try {
    const sealed = sealEnvValue(scope.orgId, to, identity, plaintext);
    // The same version of the same value, under the new key: its version, and so what the API shows
    // of it, does not change; a value set meanwhile is left to the writer.
    return envVarAt(scope, value, value.name).update(
      { set: { sealed, keyVersion } },
      { when: Conditions.all(Conditions.versionIs(value.version), Conditions.attributeIs('keyVersion', value.keyVersion)), onConditionFailed: () => new ValueChangedMeanwhile() },
    );
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Retires every version but `rotation.keyVersion` (a pass found nothing under them), marks the
 * rotation complete and records it, in one transaction. The organization record may change
 * meanwhile (a rename): read it again and retry.
 */
async function complete(deps: ResealDeps, scope: OrgScope, org: OrgRecord, rotation: KeyRotationRecord, at: string): Promise<void> {
  let current = org;
  for (let attempt = 1; ; attempt++) {
    const retiredVersions = (current.orgKeys ?? []).filter((k) => k.version !== rotation.keyVersion).map((k) => k.version);
    const { cursor: _cursor, ...rest } = rotation;
    try {
      await deps.audit.commit(
        {
          scope: AuditScopes.org(scope),
          actor: { type: 'system', id: 'deploy/reseal' },
          action: 'org.key_rotation_completed',
          target: { type: 'org', id: scope.orgId },
          metadata: { keyVersion: rotation.keyVersion, resealed: rotation.resealed, retiredVersions },
        },
        [
          updateOrgWrite(scope, { ...current, orgKeys: (current.orgKeys ?? []).filter((k) => k.version === rotation.keyVersion), updatedAt: at }),
          keyRotationWrite(scope, { ...rest, status: 'complete', foundThisPass: 0, updatedAt: at, completedAt: at }, rotation.version),
        ],
      );
      deps.logger.info('Organization key rotation complete', { orgId: scope.orgId, keyVersion: rotation.keyVersion, resealed: rotation.resealed, retiredVersions });
      return;
    } catch (error) {
      if (!(error instanceof PreconditionFailedError) || attempt >= 5) throw error;
      const fresh = await getOrg(deps.table, scope);
      if (!fresh) return;
      current = fresh;
    }
  }
}
