import { z } from 'zod';
import { type OrgScope } from '../kernel/auth/org-scope';
import { ConflictError, NotFoundError } from '../kernel/errors';
import { Ids } from '../kernel/ids';
import { Conditions } from '../kernel/storage/conditions';
import { defineEntity, RecordStamps } from '../kernel/storage/entity';
import { Keys, Listings } from '../kernel/storage/keys';
import { type Page, type PageRequest, type Table, type TransactWrite } from '../kernel/storage/table';
import { projectServiceCountWrite } from './projects';
import { ResolvedServiceSpec } from './service-spec';

/** A service, at `ORG#<orgId>` / `SERVICE#<projectId>#<serviceId>`; its spec is versioned. */
export const ServiceRecord = z.object({
  serviceId: z.string(),
  projectId: z.string(),
  spec: ResolvedServiceSpec,
  ...RecordStamps,
});
export type ServiceRecord = z.output<typeof ServiceRecord>;

export const Services = defineEntity({ name: 'service', schema: ServiceRecord, key: Keys.service, queries: { ofProject: Listings.servicesOfProject } });

/** A service's claim on its name within its project (holding the service id): names become host names. */
export const ServiceNames = defineEntity({ name: 'service name', schema: z.object({ serviceId: z.string() }), key: Keys.serviceName });

/** A service as the API shows it: the spec flattened, so a GET answers in the shape a POST takes. */
export const ServiceView = ResolvedServiceSpec.extend(ServiceRecord.pick({ serviceId: true, projectId: true, createdAt: true, updatedAt: true, version: true }).shape).meta({ id: 'Service' });
export const serviceView = (s: ServiceRecord): z.output<typeof ServiceView> => ({
  serviceId: s.serviceId,
  projectId: s.projectId,
  ...s.spec,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
  version: s.version,
});

/**
 * A new service (version 1), counted into its project and claiming its name in the project in the
 * same transaction: the name becomes a host name at deploy time, so two services of a project may
 * not share it (409).
 */
export function createServiceWrites(scope: OrgScope, projectId: string, spec: ResolvedServiceSpec, createdBy: string, now: Date): { service: ServiceRecord; writes: TransactWrite[] } {
  const at = now.toISOString();
  const service: ServiceRecord = { serviceId: Ids.service.generate(), projectId, spec, createdAt: at, createdBy, updatedAt: at, version: 1 };
  const nameClaim = ServiceNames.at(scope, projectId, spec.name).create(
    { serviceId: service.serviceId },
    () => new ConflictError(`name: a service named "${spec.name}" already exists in this project.`),
  );
  return { service, writes: [updateServiceWrite(scope, service, 0), projectServiceCountWrite(scope, projectId, 1), nameClaim] };
}

/** Writes the service if the stored version is still `expectedVersion` (0: a new one; 412 otherwise). */
export function updateServiceWrite(scope: OrgScope, service: ServiceRecord, expectedVersion: number): TransactWrite {
  const { version: _v, ...attributes } = service;
  return Services.at(scope, service.projectId, service.serviceId).putVersioned(attributes, expectedVersion);
}

/** Deletes a service, counts it out of its project and releases its name. */
export function deleteServiceWrites(scope: OrgScope, service: Pick<ServiceRecord, 'projectId' | 'serviceId' | 'spec'>): TransactWrite[] {
  return [
    Services.at(scope, service.projectId, service.serviceId).delete({ when: Conditions.exists, onConditionFailed: () => new NotFoundError('No such service.') }),
    projectServiceCountWrite(scope, service.projectId, -1),
    ServiceNames.at(scope, service.projectId, service.spec.name).delete({
      when: Conditions.absentOrHeldBy('serviceId', service.serviceId),
      onConditionFailed: () => new ConflictError(`name: the name "${service.spec.name}" is held by another service.`),
    }),
  ];
}

export async function getService(table: Table, scope: OrgScope, projectId: string, serviceId: string): Promise<ServiceRecord | undefined> {
  return table.read(Services.at(scope, projectId, serviceId));
}

/** Access pattern: a project's services, by id, a page at a time. */
export async function listServices(table: Table, scope: OrgScope, projectId: string, page: PageRequest): Promise<Page<ServiceRecord>> {
  return table.queryPage(Services.query.ofProject(scope, projectId), { ...page, consistent: true });
}
