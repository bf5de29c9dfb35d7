import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type OrgScope } from '../kernel/auth/org-scope';
import { Keys as TenantKeys, Listings, orgPartition } from '../kernel/storage/keys';
import { ConflictError, NotFoundError } from '../kernel/errors';
import { Conditions } from '../kernel/storage/conditions';
import { Writes, type TransactWrite } from '../kernel/storage/writes';
import { type Page, type Table } from '../kernel/storage/table';
import { projectServiceCountWrite } from './projects';
import { ResolvedServiceSpec } from './service-spec';

/** A service, at `ORG#<orgId>` / `SERVICE#<projectId>#<serviceId>`; its spec is versioned. */
export const ServiceRecord = z.object({
  serviceId: z.string(),
  projectId: z.string(),
  spec: ResolvedServiceSpec,
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  version: z.number(),
});
export type ServiceRecord = z.output<typeof ServiceRecord>;

/** A service as the API shows it: the spec flattened, so a GET answers in the shape a POST takes. */
export const ServiceView = ResolvedServiceSpec.extend({
  serviceId: z.string(),
  projectId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number(),
});
export const serviceView = (s: ServiceRecord): z.output<typeof ServiceView> => ({
  serviceId: s.serviceId,
  projectId: s.projectId,
  ...s.spec,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
  version: s.version,
});

// `s_` is taken by sessions; a distinct prefix keeps ids unambiguous in logs and audit records.
export const newServiceId = () => `svc_${randomBytes(16).toString('hex')}`;

const serviceItem = (scope: OrgScope, s: ServiceRecord) => {
  const { version: _v, ...rest } = s;
  return { ...TenantKeys.service(scope, s.projectId, s.serviceId), ...rest };
};

/**
 * A new service (version 1), counted into its project and claiming its name in the project
 * (`SERVICENAME#<projectId>#<name>`, holding the service id) in the same transaction: the name
 * becomes a host name at deploy time, so two services of a project may not share it (409).
 */
export function createServiceWrites(scope: OrgScope, projectId: string, spec: ResolvedServiceSpec, createdBy: string, now: Date): { service: ServiceRecord; writes: TransactWrite[] } {
  const at = now.toISOString();
  const service: ServiceRecord = { serviceId: newServiceId(), projectId, spec, createdAt: at, createdBy, updatedAt: at, version: 1 };
  const nameClaim = Writes.put(
    { ...TenantKeys.serviceName(scope, projectId, spec.name), serviceId: service.serviceId },
    Conditions.notExists,
    () => new ConflictError(`name: a service named "${spec.name}" already exists in this project.`),
  );
  return { service, writes: [Writes.putVersioned(serviceItem(scope, service), 0), projectServiceCountWrite(scope, projectId, 1), nameClaim] };
}

/** Replaces the spec if the stored version is still `expectedVersion` (412 otherwise). */
export function updateServiceWrite(scope: OrgScope, service: ServiceRecord, expectedVersion: number): TransactWrite {
  return Writes.putVersioned(serviceItem(scope, service), expectedVersion);
}

/** Deletes a service, counts it out of its project and releases its name. */
export function deleteServiceWrites(scope: OrgScope, service: Pick<ServiceRecord, 'projectId' | 'serviceId' | 'spec'>): TransactWrite[] {
  return [
    Writes.delete(TenantKeys.service(scope, service.projectId, service.serviceId), Conditions.exists, () => new NotFoundError('No such service.')),
    projectServiceCountWrite(scope, service.projectId, -1),
    Writes.delete(TenantKeys.serviceName(scope, service.projectId, service.spec.name), Conditions.absentOrHeldBy('serviceId', service.serviceId), () =>
      new ConflictError(`name: the name "${service.spec.name}" is held by another service.`),
    ),
  ];
}

export async function getService(table: Table, scope: OrgScope, projectId: string, serviceId: string): Promise<ServiceRecord | undefined> {
  return table.get(TenantKeys.service(scope, projectId, serviceId), ServiceRecord, { consistent: true });
}

/** Access pattern: a project's services, by id, a page at a time. */
export async function listServices(table: Table, scope: OrgScope, projectId: string, page: { limit: number; cursor?: string | undefined }): Promise<Page<ServiceRecord>> {
  return table.query({
    schema: ServiceRecord,
    partition: orgPartition(scope),
    sortKeyPrefix: Listings.servicesOfProject(scope, projectId).sortKeyPrefix!,
    limit: page.limit,
    consistent: true,
    ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
  });
}
