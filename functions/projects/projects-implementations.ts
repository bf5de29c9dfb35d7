import { orgAuditEntry } from '../kernel/audit/entries';
import { principalId } from '../kernel/auth/principal';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../kernel/errors';
import { implement, type BoundRoute, type OrgRouteContext } from '../kernel/http/implementation';
import { purgeEnvVars } from './env';
import { createProjectWrites, deleteProjectWrites, getProject, listProjects, listProjectsAmong, projectView, renameProjectWrites, updateProjectWrite, type ProjectRecord } from './projects';
import * as routes from './projects-routes';

const projectTarget = (projectId: string) => ({ type: 'project', id: projectId }) as const;

async function requireProject(ctx: OrgRouteContext, projectId: string): Promise<ProjectRecord> {
  const project = await getProject(ctx.platform.table, ctx.org.scope, projectId);
  if (!project) throw new NotFoundError('No such project.');
  return project;
}

export const projectImplementations: readonly BoundRoute[] = [
  implement(routes.createProject, async ({ body }, ctx) => {
    const { project, writes } = createProjectWrites(ctx.org.scope, body, principalId(ctx.principal), new Date());
    await ctx.platform.audit.commit(orgAuditEntry(ctx, ctx.org.scope, 'project.created', projectTarget(project.projectId), { name: project.name }), writes);
    return { body: projectView(project) };
  }),

  implement(routes.listProjects, async ({ query }, ctx) => {
    const { principal } = ctx;
    // A key restricted to some projects sees only those, as on every `{projectId}` route.
    const page =
      principal.type === 'api_key' && principal.projectIds
        ? await listProjectsAmong(ctx.platform.table, ctx.org.scope, principal.projectIds, query)
        : await listProjects(ctx.platform.table, ctx.org.scope, query);
    return { body: { projects: page.items.map(projectView), ...(page.cursor ? { cursor: page.cursor } : {}) } };
  }),

  implement(routes.getProject, async ({ params }, ctx) => ({ body: projectView(await requireProject(ctx, params.projectId)) })),

  implement(routes.updateProject, async ({ params, body }, ctx) => {
    const { scope } = ctx.org;
    const project = await requireProject(ctx, params.projectId);
    if (project.version !== body.version) throw new PreconditionFailedError();
    const name = body.name ?? project.name;
    const description = body.description === null ? undefined : (body.description ?? project.description);
    const fields = [...(name !== project.name ? ['name' as const] : []), ...(description !== project.description ? ['description' as const] : [])];
    if (fields.length === 0) return { body: projectView(project) };
    const updatedAt = new Date().toISOString();
    await ctx.platform.audit.commit(orgAuditEntry(ctx, scope, 'project.updated', projectTarget(project.projectId), { fields, version: project.version + 1 }), [
      updateProjectWrite(scope, project.projectId, project.version, { name, description, updatedAt }),
      ...(name !== project.name ? renameProjectWrites(scope, project.projectId, project.name, name) : []),
    ]);
    const { description: _old, ...rest } = project;
    return { body: projectView({ ...rest, name, ...(description !== undefined ? { description } : {}), updatedAt, version: project.version + 1 }) };
  }),

  implement(routes.deleteProject, async ({ params }, ctx) => {
    const { scope } = ctx.org;
    const project = await requireProject(ctx, params.projectId);
    // Answered early for the common case; the conditional delete decides under concurrency.
    if (project.serviceCount > 0) throw new ConflictError('Delete the services of this project first.');
    await ctx.platform.audit.commit(orgAuditEntry(ctx, scope, 'project.deleted', projectTarget(project.projectId), {}), deleteProjectWrites(scope, project));
    await purgeEnvVars(ctx.platform.table, scope, { projectId: project.projectId });
    return { body: {} };
  }),
];
