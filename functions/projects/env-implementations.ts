import { orgAuditEntry } from '../kernel/audit/entries';
import { principalId } from '../kernel/auth/principal';
import { NotFoundError, ValidationError } from '../kernel/errors';
import { implement, type BoundRoute, type OrgRouteContext } from '../kernel/http/implementation';
import { parseDotenv } from './dotenv';
import {
  deleteEnvVarWrite,
  EnvName,
  envCountWrite,
  envOwnerExistsCheck,
  EnvValue,
  envVarRecord,
  envVarView,
  getEnvVar,
  listEnvVars,
  MAX_ENV_IMPORT,
  MAX_ENV_VARS,
  putEnvVarWrite,
  tooManyVariables,
  withSealingKey,
  type EnvOwner,
} from './env';
import { projectEnvRoutes, serviceEnvRoutes } from './env-routes';

const envOwner = (params: { projectId: string; serviceId?: string }): EnvOwner => ({ projectId: params.projectId, ...(params.serviceId !== undefined ? { serviceId: params.serviceId } : {}) });
const envTarget = (owner: EnvOwner) => (owner.serviceId !== undefined ? { type: 'service' as const, id: owner.serviceId } : { type: 'project' as const, id: owner.projectId });
const ownerFacts = (owner: EnvOwner) => ({ projectId: owner.projectId, ...(owner.serviceId !== undefined ? { serviceId: owner.serviceId } : {}) });
/** What the audit record says of a variable: where it is, its name and version; never its value. */
const envFacts = (owner: EnvOwner, name: string, version: number) => ({
  level: owner.serviceId !== undefined ? ('service' as const) : ('project' as const),
  ...ownerFacts(owner),
  name,
  version,
});

/** Sets one variable: sealed for its next version and written with its audit record. */
async function setEnvVar(ctx: OrgRouteContext, owner: EnvOwner, name: string, value: string) {
  const { scope } = ctx.org;
  const current = await getEnvVar(ctx.platform.table, scope, owner, name);
  const record = await withSealingKey(ctx.platform.table, scope, async (key, sealingKeyHolds) => {
    const record = envVarRecord(scope, owner, key, { name, value, version: (current?.version ?? 0) + 1, updatedBy: principalId(ctx.principal), now: new Date() });
    await ctx.platform.audit.commit(orgAuditEntry(ctx, scope, 'env.set', envTarget(owner), envFacts(owner, name, record.version)), [
      putEnvVarWrite(scope, record),
      envOwnerExistsCheck(scope, owner),
      sealingKeyHolds,
      ...(current ? [] : [envCountWrite(scope, owner, 1, 'params.name')]),
    ]);
    return record;
  });
  return envVarView(record);
}

async function deleteEnvVar(ctx: OrgRouteContext, owner: EnvOwner, name: string) {
  const { scope } = ctx.org;
  const current = await getEnvVar(ctx.platform.table, scope, owner, name);
  if (!current) throw new NotFoundError('No such variable.');
  await ctx.platform.audit.commit(orgAuditEntry(ctx, scope, 'env.deleted', envTarget(owner), envFacts(owner, name, current.version)), [
    deleteEnvVarWrite(scope, owner, name, current.version),
    envCountWrite(scope, owner, -1, 'params.name'),
  ]);
}

async function listEnv(ctx: OrgRouteContext, owner: EnvOwner) {
  const variables = await listEnvVars(ctx.platform.table, ctx.org.scope, owner);
  return { variables: variables.map(envVarView) };
}

/** The entries of a .env file, every line checked against the rules of names and values first. */
function dotenvEntries(dotenv: string, field: string) {
  const parsed = parseDotenv(dotenv);
  if (!parsed.ok) throw new ValidationError(parsed.issues.map((i) => ({ path: field, message: `line ${i.line}: ${i.message}` })));
  const { entries } = parsed;
  const issues = entries.flatMap((e) => {
    const name = EnvName.safeParse(e.name);
    const value = EnvValue.safeParse(e.value);
    return [
      ...(name.success ? [] : [{ path: field, message: `line ${e.line}: name: ${name.error.issues[0]!.message}` }]),
      ...(value.success ? [] : [{ path: field, message: `line ${e.line}: value of ${e.name}: ${value.error.issues[0]!.message}` }]),
    ];
  });
  if (issues.length > 0) throw new ValidationError(issues);
  if (entries.length === 0) throw new ValidationError([{ path: field, message: 'The file sets no variable.' }]);
  if (entries.length > MAX_ENV_IMPORT) {
    throw new ValidationError([{ path: field, message: `An import sets at most ${MAX_ENV_IMPORT} variables (it is applied as one transaction, all or nothing); split the file.` }]);
  }
  return entries;
}

/**
 * Applies a .env file all or nothing: every line is checked first, and the variables are written in
 * one transaction with one audit record, which bounds an import (MAX_ENV_IMPORT).
 */
async function importEnv(ctx: OrgRouteContext, owner: EnvOwner, dotenv: string) {
  const field = 'body.dotenv';
  const entries = dotenvEntries(dotenv, field);
  const { scope } = ctx.org;
  const existing = new Map((await listEnvVars(ctx.platform.table, scope, owner)).map((v) => [v.name, v.version]));
  const added = entries.filter((e) => !existing.has(e.name)).length;
  // Answered early for a clear message; the counter's condition decides under concurrency.
  if (existing.size + added > MAX_ENV_VARS) throw tooManyVariables(owner, field);
  const now = new Date();
  const records = await withSealingKey(ctx.platform.table, scope, async (key, sealingKeyHolds) => {
    const records = entries.map((e) => envVarRecord(scope, owner, key, { name: e.name, value: e.value, version: (existing.get(e.name) ?? 0) + 1, updatedBy: principalId(ctx.principal), now }));
    await ctx.platform.audit.commit(orgAuditEntry(ctx, scope, 'env.imported', envTarget(owner), { ...ownerFacts(owner), count: records.length }), [
      ...records.map((r) => putEnvVarWrite(scope, r)),
      envOwnerExistsCheck(scope, owner),
      sealingKeyHolds,
      ...(added > 0 ? [envCountWrite(scope, owner, added, field)] : []),
    ]);
    return records;
  });
  return { variables: records.map(envVarView) };
}

// The same implementations serve both levels; the path parameters say which owner is meant.
export const envImplementations: readonly BoundRoute[] = [projectEnvRoutes, serviceEnvRoutes].flatMap((level) => [
  implement(level.set, async ({ params, body }, ctx) => ({ body: await setEnvVar(ctx, envOwner(params), params.name, body.value) })),
  implement(level.delete, async ({ params }, ctx) => {
    await deleteEnvVar(ctx, envOwner(params), params.name);
    return { body: {} };
  }),
  implement(level.list, async ({ params }, ctx) => ({ body: await listEnv(ctx, envOwner(params)) })),
  implement(level.import, async ({ params, body }, ctx) => ({ body: await importEnv(ctx, envOwner(params), body.dotenv) })),
]);
