import { z } from 'zod';
import { type OrgScope } from '../kernel/auth/org-scope';
import { ConflictError, NotFoundError, ValidationError } from '../kernel/errors';
import { sealEnvValue, type EnvValueIdentity, type OrgKeyRecord } from '../kernel/keys/org-keys';
import { Conditions } from '../kernel/storage/conditions';
import { defineEntity } from '../kernel/storage/entity';
import { Keys, Listings, type EnvOwnerKey } from '../kernel/storage/keys';
import { type Table, type TransactWrite } from '../kernel/storage/table';
import { currentOrgKey, getOrg, OrgKeyRotatedError, sealingKeyCheck } from '../kernel/tenancy/org-record';
import { Projects } from './projects';
import { Services } from './services';

/**
 * Write-only environment variables of a project (shared by its services) or of one service. The
 * API seals each value to the organization's env public key (`sealEnvValue`) and cannot open it
 * again: no route returns a value, masked or not; only the deploy path, holding the organization
 * key, opens them (`resolveEnvironment` decides which apply).
 */

export const ENV_NAME_MAX_LENGTH = 255;
export const ENV_VALUE_MAX_BYTES = 32 * 1024;
/** Most variables of one project (project level) or one service. */
export const MAX_ENV_VARS = 500;
/**
 * Most variables of one import: an import is one transaction (all or nothing), and a transaction
 * holds 100 items: the audit record and chain head, the counter, the check that the project or
 * service still exists, the check that the organization key is still the sealing one, and one per
 * variable.
 */
export const MAX_ENV_IMPORT = 95;
/** Names the platform sets itself or that the runtime (AWS, ECS) reads: a tenant may not override them. */
export const RESERVED_ENV_PREFIXES = ['AWS_', 'ECS_', 'RAMPART_'] as const;

const reservedPrefixOf = (name: string) => RESERVED_ENV_PREFIXES.find((prefix) => name.startsWith(prefix));

/** A variable name: `^[A-Z_][A-Z0-9_]*$`, at most 255 characters, no reserved prefix. */
export const EnvName = z
  .string()
  .max(ENV_NAME_MAX_LENGTH, `Must be at most ${ENV_NAME_MAX_LENGTH} characters.`)
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'Must be upper-case letters, digits and underscores, not starting with a digit.')
  .refine((name) => reservedPrefixOf(name) === undefined, { message: `Must not start with a reserved prefix (${RESERVED_ENV_PREFIXES.join(', ')}).`, abort: true });

/** A variable value: any string of at most 32 KiB in UTF-8. */
export const EnvValue = z.string().refine((value) => Buffer.byteLength(value, 'utf8') <= ENV_VALUE_MAX_BYTES, `Must be at most ${ENV_VALUE_MAX_BYTES / 1024} KiB (UTF-8).`);

/** Where a variable lives: a project (shared by its services) or one service of it. */
export type EnvOwner = EnvOwnerKey;

/** A variable, at `ORG#<orgId>` / `ENV#<projectId>#<serviceId or ->#<name>`; `sealed` opens only with the organization key. */
export const EnvVarRecord = z.object({
  projectId: z.string(),
  serviceId: z.string().optional(),
  name: z.string(),
  version: z.number(),
  updatedAt: z.string(),
  updatedBy: z.string(),
  keyVersion: z.number(),
  sealed: z.string(),
});
export type EnvVarRecord = z.output<typeof EnvVarRecord>;

export const EnvVars = defineEntity({
  name: 'environment variable',
  schema: EnvVarRecord,
  key: Keys.envVar,
  queries: { of: Listings.envVarsOf, ofOrg: Listings.envVarsOfOrg },
});

/** How many variables a project or service holds, kept by the writes that add or remove one. */
export const EnvCounts = defineEntity({ name: 'environment variable count', schema: z.object({ count: z.number() }), key: Keys.envCount });

/** One variable of an owner, by name. */
export const envVarAt = (scope: OrgScope, owner: EnvOwner, name: string) => EnvVars.at(scope, owner.projectId, owner.serviceId, name);

/** A variable as the API shows it: never its value. */
export const EnvVarView = z.object({ name: z.string(), version: z.number(), updatedAt: z.string(), updatedBy: z.string() }).meta({ id: 'EnvVariable' });
export const envVarView = (v: Pick<EnvVarRecord, 'name' | 'version' | 'updatedAt' | 'updatedBy'>): z.output<typeof EnvVarView> => ({
  name: v.name,
  version: v.version,
  updatedAt: v.updatedAt,
  updatedBy: v.updatedBy,
});

/**
 * The variables a service runs with: its project's, overridden by its own on a name clash.
 * @example resolveEnvironment([{ name: 'A', value: 'p' }], [{ name: 'A', value: 's' }]) // [{ name: 'A', value: 's' }]
 */
export function resolveEnvironment<V extends { readonly name: string }>(projectVars: readonly V[], serviceVars: readonly V[]): V[] {
  const byName = new Map<string, V>();
  for (const v of projectVars) byName.set(v.name, v);
  for (const v of serviceVars) byName.set(v.name, v);
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The organization's newest key record, the one new values are sealed under (`orgKeys` on the
 * organization item, written at its creation). @throws ConflictError when it has none
 */
export async function sealingKeyOf(table: Table, scope: OrgScope): Promise<OrgKeyRecord> {
  const org = await getOrg(table, scope);
  const record = org ? currentOrgKey(org) : undefined;
  if (!record) throw new ConflictError('The organization has no key to seal environment values with.');
  return record;
}

/**
 * Seals and writes under the organization's sealing key, with `sealingKeyCheck` in the same
 * transaction; if a rotation commits in between, seals again under the new key (a rotation is rare,
 * so a second miss is a real conflict and surfaces as a 409 to retry).
 */
export async function withSealingKey<T>(table: Table, scope: OrgScope, write: (key: OrgKeyRecord, check: TransactWrite) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const key = await sealingKeyOf(table, scope);
    try {
      return await write(key, sealingKeyCheck(scope, key.version));
    } catch (error) {
      if (!(error instanceof OrgKeyRotatedError) || attempt >= 2) throw error;
    }
  }
}

export async function getEnvVar(table: Table, scope: OrgScope, owner: EnvOwner, name: string): Promise<EnvVarRecord | undefined> {
  return table.read(envVarAt(scope, owner, name));
}

/**
 * Access pattern: every variable of a project (project level) or of a service, by name. At most
 * 500, read whole; items carry their sealed value, which callers must never pass on.
 */
export async function listEnvVars(table: Table, scope: OrgScope, owner: EnvOwner): Promise<EnvVarRecord[]> {
  return table.queryAll(EnvVars.query.of(scope, owner), { consistent: true });
}

/**
 * Removes every variable of a project or service, and its counter, once the owner itself is gone.
 * Runs after the owner's audited delete has committed, never before: removing the variables first
 * and then failing to delete the owner would lose a live service's configuration. If it stops
 * half-way, what remains is sealed and unreachable (no route names a deleted owner), and deleting
 * the organization removes it.
 */
export async function purgeEnvVars(table: Table, scope: OrgScope, owner: EnvOwner): Promise<number> {
  const vars = await listEnvVars(table, scope, owner);
  await table.transactInBatches([...vars.map((v) => envVarAt(scope, owner, v.name).delete()), EnvCounts.at(scope, owner.projectId, owner.serviceId).delete()]);
  return vars.length;
}

/** What a value is sealed for: its organization, owner, name and version (the AAD of its seal). */
export const envValueIdentity = (scope: OrgScope, v: Pick<EnvVarRecord, 'projectId' | 'serviceId' | 'name' | 'version'>): EnvValueIdentity => ({
  org: scope.orgId,
  project: v.projectId,
  service: v.serviceId ?? '',
  name: v.name,
  version: v.version,
});

/** A new value for a variable: sealed for exactly this organization, owner, name and version. */
export function envVarRecord(scope: OrgScope, owner: EnvOwner, key: OrgKeyRecord, input: { name: string; value: string; version: number; updatedBy: string; now: Date }): EnvVarRecord {
  const identity = envValueIdentity(scope, { projectId: owner.projectId, serviceId: owner.serviceId, name: input.name, version: input.version });
  return {
    projectId: owner.projectId,
    ...(owner.serviceId !== undefined ? { serviceId: owner.serviceId } : {}),
    name: input.name,
    version: input.version,
    updatedAt: input.now.toISOString(),
    updatedBy: input.updatedBy,
    keyVersion: key.version,
    sealed: sealEnvValue(scope.orgId, key, identity, input.value),
  };
}

const changedConcurrently = () => new ConflictError('The variable changed meanwhile; retry.');

/** Writes a variable if its stored version is still `record.version - 1` (0 = absent). */
export function putEnvVarWrite(scope: OrgScope, record: EnvVarRecord): TransactWrite {
  const { version, ...rest } = record;
  return envVarAt(scope, record, record.name).putVersioned(rest, version - 1, changedConcurrently);
}

/** Deletes a variable if it is still at `version`. */
export function deleteEnvVarWrite(scope: OrgScope, owner: EnvOwner, name: string, version: number): TransactWrite {
  return envVarAt(scope, owner, name).delete({ when: Conditions.versionIs(version), onConditionFailed: changedConcurrently });
}

/**
 * Counts `delta` variables into (or out of) their owner, refusing to pass the limit: concurrent
 * writers cannot together exceed it, since the count is a condition of each transaction.
 */
export function envCountWrite(scope: OrgScope, owner: EnvOwner, delta: number, field: string): TransactWrite {
  const withinLimit = Conditions.any(Conditions.attributeAbsent('count'), Conditions.attributeAtMost('count', MAX_ENV_VARS - delta));
  return EnvCounts.at(scope, owner.projectId, owner.serviceId).update(
    { add: { count: delta } },
    { ...(delta > 0 ? { when: withinLimit } : {}), onConditionFailed: () => tooManyVariables(owner, field) },
  );
}

/** The 400 for a change that would pass the limit; `field` names the request field at fault. */
export const tooManyVariables = (owner: EnvOwner, field: string) =>
  new ValidationError([{ path: field, message: `A ${owner.serviceId ? 'service' : 'project'} holds at most ${MAX_ENV_VARS} variables.` }]);

/**
 * The project (or service) must still exist when the transaction commits: the authorization chain
 * read it, but a concurrent delete must not leave orphaned values behind.
 */
export function envOwnerExistsCheck(scope: OrgScope, owner: EnvOwner): TransactWrite {
  const item = owner.serviceId ? Services.at(scope, owner.projectId, owner.serviceId) : Projects.at(scope, owner.projectId);
  return item.check(Conditions.exists, () => new NotFoundError(owner.serviceId ? 'No such service.' : 'No such project.'));
}
