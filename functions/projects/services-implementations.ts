import { orgAuditEntry } from '../kernel/audit/entries';
import { principalId } from '../kernel/auth/principal';
import { NotFoundError, PreconditionFailedError, ValidationError } from '../kernel/errors';
import { fieldIssues } from '../kernel/http/field-issues';
import { implement, type BoundRoute, type OrgRouteContext } from '../kernel/http/implementation';
import { purgeEnvVars } from './env';
import { applyServicePatch, resolveServiceSpec } from './service-spec';
import { createServiceWrites, deleteServiceWrites, getService, listServices, serviceView, updateServiceWrite, type ServiceRecord } from './services';
import * as routes from './services-routes';

const serviceTarget = (serviceId: string) => ({ type: 'service', id: serviceId }) as const;

async function requireService(ctx: OrgRouteContext, params: { projectId: string; serviceId: string }): Promise<ServiceRecord> {
  const service = await getService(ctx.platform.table, ctx.org.scope, params.projectId, params.serviceId);
  if (!service) throw new NotFoundError('No such service.');
  return service;
}

export const serviceImplementations: readonly BoundRoute[] = [
  implement(routes.createService, async ({ params, body }, ctx) => {
    const spec = resolveServiceSpec(body);
    const { service, writes } = createServiceWrites(ctx.org.scope, params.projectId, spec, principalId(ctx.principal), new Date());
    await ctx.platform.audit.commit(
      orgAuditEntry(ctx, ctx.org.scope, 'service.created', serviceTarget(service.serviceId), { projectId: service.projectId, name: spec.name, type: spec.type }),
      writes,
    );
    return { body: serviceView(service) };
  }),

  implement(routes.listServices, async ({ params, query }, ctx) => {
    const page = await listServices(ctx.platform.table, ctx.org.scope, params.projectId, query);
    return { body: { services: page.items.map(serviceView), ...(page.cursor ? { cursor: page.cursor } : {}) } };
  }),

  implement(routes.getService, async ({ params }, ctx) => ({ body: serviceView(await requireService(ctx, params)) })),

  implement(routes.updateService, async ({ params, body }, ctx) => {
    const service = await requireService(ctx, params);
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
      orgAuditEntry(ctx, ctx.org.scope, 'service.updated', serviceTarget(service.serviceId), { projectId: service.projectId, fields: changed, version: updated.version }),
      [updateServiceWrite(ctx.org.scope, updated, service.version)],
    );
    return { body: serviceView(updated) };
  }),

  implement(routes.deleteService, async ({ params }, ctx) => {
    // Read for its name, whose claim is released with it; the conditional delete decides under concurrency.
    const service = await requireService(ctx, params);
    await ctx.platform.audit.commit(
      orgAuditEntry(ctx, ctx.org.scope, 'service.deleted', serviceTarget(service.serviceId), { projectId: service.projectId }),
      deleteServiceWrites(ctx.org.scope, service),
    );
    await purgeEnvVars(ctx.platform.table, ctx.org.scope, { projectId: service.projectId, serviceId: service.serviceId });
    return { body: {} };
  }),
];
