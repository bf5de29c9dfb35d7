import { actorOf } from '../kernel/audit/entries';
import type { AuditEntry } from '../kernel/audit/audit-trail';
import type { AuditAction } from '../kernel/audit/catalogue';
import type { OrgAccess } from '../kernel/auth/authorize';
import { NotFoundError, PreconditionFailedError, ConflictError, ValidationError } from '../kernel/errors';
import { createApiHandler } from '../kernel/http/api-handler';
import { implement, type AnyRouteContext } from '../kernel/http/implementation';
import { fieldIssues } from '../kernel/http/field-issues';
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
  purgeEnvVars,
  MAX_ENV_IMPORT,
  MAX_ENV_VARS,
  putEnvVarWrite,
  withSealingKey,
  tooManyVariables,
  type EnvOwner,
} from './env';
import * as envRoutes from './env-routes';
import { createProjectWrites, deleteProjectWrites, getProject, listProjects, listProjectsAmong, projectView, renameProjectWrites, updateProjectWrite } from './projects';
import * as routes from './routes';
import { applyServicePatch, resolveServiceSpec } from './service-spec';
import { createServiceWrites, deleteServiceWrites, getService, listServices, serviceView, updateServiceWrite } from './services';


const DEFAULT_PAGE_SIZE = 50;

/** Who created a resource, as recorded on it: the user, or the API key. */
const creatorOf = (ctx: AnyRouteContext): string => {
  const principal = ctx.principal!;
  return principal.type === 'user' ? principal.userId : principal.keyId;
};

/** Every change is recorded in the organization's chain, in the same transaction as the change. */
const entry = <A extends AuditAction>(ctx: AnyRouteContext & { org: OrgAccess }, action: A, target: { type: 'project' | 'service'; id: string }, metadata: AuditEntry<A>['metadata']): AuditEntry<A> => ({
  scope: `org:${ctx.org.scope.orgId}`,
  actor: actorOf(ctx),
  action,
  target,
  metadata,
});

type OrgContext = AnyRouteContext & { org: OrgAccess };

const envOwner = (params: { projectId: string; serviceId?: string }): EnvOwner => ({ projectId: params.projectId, ...(params.serviceId !== undefined ? { serviceId: params.serviceId } : {}) });
const envTarget = (owner: EnvOwner) => (owner.serviceId !== undefined ? { type: 'service' as const, id: owner.serviceId } : { type: 'project' as const, id: owner.projectId });
/** What the audit record says of a variable: where it is, its name and version; never its value. */
const envFacts = (owner: EnvOwner, name: string, version: number) => ({
  level: owner.serviceId !== undefined ? ('service' as const) : ('project' as const),
  projectId: owner.projectId,
  ...(owner.serviceId !== undefined ? { serviceId: owner.serviceId } : {}),
  name,
  version,
});

/** Sets one variable: sealed for its next version and written with its audit record. */
async function setEnvVar(ctx: OrgContext, owner: EnvOwner, name: string, value: string) {
  const { scope } = ctx.org;
  const current = await getEnvVar(ctx.platform.table, scope, owner, name);
  const record = await withSealingKey(ctx.platform.table, scope, async (key, sealingKeyHolds) => {
    const record = envVarRecord(scope, owner, key, { name, value, version: (current?.version ?? 0) + 1, updatedBy: creatorOf(ctx), now: new Date() });
    await ctx.platform.audit.commit(entry(ctx, 'env.set', envTarget(owner), envFacts(owner, name, record.version)), [
      putEnvVarWrite(scope, record),
      envOwnerExistsCheck(scope, owner),
      sealingKeyHolds,
      ...(current ? [] : [envCountWrite(scope, owner, 1, 'params.name')]),
    ]);
    return record;
  });
  return envVarView(record);
}

async function deleteEnvVar(ctx: OrgContext, owner: EnvOwner, name: string) {
  const { scope } = ctx.org;
  const current = await getEnvVar(ctx.platform.table, scope, owner, name);
  if (!current) throw new NotFoundError('No such variable.');
  await ctx.platform.audit.commit(entry(ctx, 'env.deleted', envTarget(owner), envFacts(owner, name, current.version)), [
    deleteEnvVarWrite(scope, owner, name, current.version),
    envCountWrite(scope, owner, -1, 'params.name'),
  ]);
}

async function listEnv(ctx: OrgContext, owner: EnvOwner) {
  const variables = await listEnvVars(ctx.platform.table, ctx.org.scope, owner);
  return { variables: variables.map(envVarView) };
}

/**
 * Applies a .env file all or nothing: every line is checked first, and the variables are written in
 * one transaction with one audit record, which bounds an import (MAX_ENV_IMPORT).
 */
async function importEnv(ctx: OrgContext, owner: EnvOwner, dotenv: string) {
  const field = 'body.dotenv';
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
  const { scope } = ctx.org;
  const existing = new Map((await listEnvVars(ctx.platform.table, scope, owner)).map((v) => [v.name, v.version]));
  const added = entries.filter((e) => !existing.has(e.name)).length;
  // Answered early for a clear message; the counter's condition decides under concurrency.
  if (existing.size + added > MAX_ENV_VARS) throw tooManyVariables(owner, field);
  const now = new Date();
  const records = await withSealingKey(ctx.platform.table, scope, async (key, sealingKeyHolds) => {
    const records = entries.map((e) => envVarRecord(scope, owner, key, { name: e.name, value: e.value, version: (existing.get(e.name) ?? 0) + 1, updatedBy: creatorOf(ctx), now }));
    await ctx.platform.audit.commit(
      entry(ctx, 'env.imported', envTarget(owner), { projectId: owner.projectId, ...(owner.serviceId !== undefined ? { serviceId: owner.serviceId } : {}), count: records.length }),
      [...records.map((r) => putEnvVarWrite(scope, r)), envOwnerExistsCheck(scope, owner), sealingKeyHolds, ...(added > 0 ? [envCountWrite(scope, owner, added, field)] : [])],
    );
    return records;
  });
  return { variables: records.map(envVarView) };
}

/** The project service: projects of an organization and the services of a project. */
export const handler = createApiHandler('projects', [
    implement(routes.createProject, async ({ body }, ctx) => {
      const { project, writes } = createProjectWrites(ctx.org.scope, body, creatorOf(ctx), new Date());
      await ctx.platform.audit.commit(entry(ctx, 'project.created', { type: 'project', id: project.projectId }, { name: project.name }), writes);
      return { body: projectView(project) };
    }),

    implement(routes.listProjects, async ({ query }, ctx) => {
      const pageRequest = { limit: query.limit ?? DEFAULT_PAGE_SIZE, cursor: query.cursor };
      const principal = ctx.principal!;
      // A key restricted to some projects sees only those, as on every `{projectId}` route.
      const page =
        principal.type === 'api_key' && principal.projectIds
          ? await listProjectsAmong(ctx.platform.table, ctx.org.scope, principal.projectIds, pageRequest)
          : await listProjects(ctx.platform.table, ctx.org.scope, pageRequest);
      return { body: { projects: page.items.map(projectView), ...(page.cursor ? { cursor: page.cursor } : {}) } };
    }),

    implement(routes.getProject, async ({ params }, ctx) => {
      const project = await getProject(ctx.platform.table, ctx.org.scope, params.projectId);
      if (!project) throw new NotFoundError('No such project.');
      return { body: projectView(project) };
    }),

    implement(routes.updateProject, async ({ params, body }, ctx) => {
      const { scope } = ctx.org;
      const project = await getProject(ctx.platform.table, scope, params.projectId);
      if (!project) throw new NotFoundError('No such project.');
      if (project.version !== body.version) throw new PreconditionFailedError();
      const name = body.name ?? project.name;
      const description = body.description === null ? undefined : (body.description ?? project.description);
      const fields = [...(name !== project.name ? ['name' as const] : []), ...(description !== project.description ? ['description' as const] : [])];
      if (fields.length === 0) return { body: projectView(project) };
      const updatedAt = new Date().toISOString();
      await ctx.platform.audit.commit(entry(ctx, 'project.updated', { type: 'project', id: project.projectId }, { fields, version: project.version + 1 }), [
        updateProjectWrite(scope, project.projectId, project.version, { name, description, updatedAt }),
        ...(name !== project.name ? renameProjectWrites(scope, project.projectId, project.name, name) : []),
      ]);
      const { description: _old, ...rest } = project;
      return { body: projectView({ ...rest, name, ...(description !== undefined ? { description } : {}), updatedAt, version: project.version + 1 }) };
    }),

    implement(routes.deleteProject, async ({ params }, ctx) => {
      const { scope } = ctx.org;
      const project = await getProject(ctx.platform.table, scope, params.projectId);
      if (!project) throw new NotFoundError('No such project.');
      // Answered early for the common case; the conditional delete decides under concurrency.
      if (project.serviceCount > 0) throw new ConflictError('Delete the services of this project first.');
      await ctx.platform.audit.commit(entry(ctx, 'project.deleted', { type: 'project', id: project.projectId }, {}), deleteProjectWrites(scope, project));
      await purgeEnvVars(ctx.platform.table, scope, { projectId: project.projectId });
      return { body: {} };
    }),

    implement(routes.createService, async ({ params, body }, ctx) => {
      const spec = resolveServiceSpec(body);
      const { service, writes } = createServiceWrites(ctx.org.scope, params.projectId, spec, creatorOf(ctx), new Date());
      await ctx.platform.audit.commit(
        entry(ctx, 'service.created', { type: 'service', id: service.serviceId }, { projectId: service.projectId, name: spec.name, type: spec.type }),
        writes,
      );
      return { body: serviceView(service) };
    }),

    implement(routes.listServices, async ({ params, query }, ctx) => {
      const page = await listServices(ctx.platform.table, ctx.org.scope, params.projectId, { limit: query.limit ?? DEFAULT_PAGE_SIZE, cursor: query.cursor });
      return { body: { services: page.items.map(serviceView), ...(page.cursor ? { cursor: page.cursor } : {}) } };
    }),

    implement(routes.getService, async ({ params }, ctx) => {
      const service = await getService(ctx.platform.table, ctx.org.scope, params.projectId, params.serviceId);
      if (!service) throw new NotFoundError('No such service.');
      return { body: serviceView(service) };
    }),

    implement(routes.updateService, async ({ params, body }, ctx) => {
      const { scope } = ctx.org;
      const service = await getService(ctx.platform.table, scope, params.projectId, params.serviceId);
      if (!service) throw new NotFoundError('No such service.');
      if (service.version !== body.version) throw new PreconditionFailedError();
      const { version: _version, ...patch } = body;
      const merged = applyServicePatch(service.spec, patch);
      // The merged spec is checked as a whole; its issues name the body fields that must change.
      if (!merged.ok) throw new ValidationError(fieldIssues('body', merged.error));
      const fields = (Object.keys(merged.spec) as (keyof typeof merged.spec)[]).filter((f) => JSON.stringify(merged.spec[f]) !== JSON.stringify(service.spec[f]));
      const removed = (Object.keys(service.spec) as (keyof typeof service.spec)[]).filter((f) => !(f in merged.spec));
      const changed = [...new Set([...fields, ...removed])].filter((f) => f !== 'name');
      if (changed.length === 0) return { body: serviceView(service) };
      const updated = { ...service, spec: merged.spec, updatedAt: new Date().toISOString(), version: service.version + 1 };
      await ctx.platform.audit.commit(
        entry(ctx, 'service.updated', { type: 'service', id: service.serviceId }, { projectId: service.projectId, fields: changed, version: updated.version }),
        [updateServiceWrite(scope, updated, service.version)],
      );
      return { body: serviceView(updated) };
    }),

    implement(routes.deleteService, async ({ params }, ctx) => {
      // Read for its name, whose claim is released with it; the conditional delete decides under concurrency.
      const service = await getService(ctx.platform.table, ctx.org.scope, params.projectId, params.serviceId);
      if (!service) throw new NotFoundError('No such service.');
      await ctx.platform.audit.commit(
        entry(ctx, 'service.deleted', { type: 'service', id: service.serviceId }, { projectId: service.projectId }),
        deleteServiceWrites(ctx.org.scope, service),
      );
      await purgeEnvVars(ctx.platform.table, ctx.org.scope, { projectId: service.projectId, serviceId: service.serviceId });
      return { body: {} };
    }),

    // The same implementations serve both levels; the path parameters say which owner is meant.
    ...[envRoutes.projectEnvRoutes, envRoutes.serviceEnvRoutes].flatMap((level) => [
      implement(level.set, async ({ params, body }, ctx) => ({ body: await setEnvVar(ctx, envOwner(params), params.name, body.value) })),
      implement(level.delete, async ({ params }, ctx) => {
        await deleteEnvVar(ctx, envOwner(params), params.name);
        return { body: {} };
      }),
      implement(level.list, async ({ params }, ctx) => ({ body: await listEnv(ctx, envOwner(params)) })),
      implement(level.import, async ({ params, body }, ctx) => ({ body: await importEnv(ctx, envOwner(params), body.dotenv) })),
    ]),
  ]);
