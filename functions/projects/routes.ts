import { z } from 'zod';
import { defineRoute } from '../kernel/http/route';
import { envRoutes } from './env-routes';
import { ProjectView } from './projects';
import { ServiceView } from './services';
import { DnsLabel, ServiceSpec, ServiceSpecPatch } from './service-spec';

const OrgId = z.string().regex(/^o_[0-9a-f]{32}$/, 'Not an organization id.');
const ProjectId = z.string().regex(/^p_[0-9a-f]{32}$/, 'Not a project id.');
const ServiceId = z.string().regex(/^svc_[0-9a-f]{32}$/, 'Not a service id.');
const Description = z.string().trim().max(500, 'Must be at most 500 characters.');
const NoContent = z.object({});

/**
 * Optimistic locking: every mutable resource shows its `version`, and a PATCH names in its body the
 * version it was based on. A body field rather than If-Match: it is validated and documented with
 * the rest of the request, and a client cannot forget it (it is required).
 */
const Version = z.number('Give the version you read.').int().min(1);

/** A page of a list: `cursor` comes from the previous page and is opaque. */
const PageQuery = z.object({
  cursor: z.string().min(1).max(2048).optional(),
  limit: z.coerce.number('Must be a number.').int('Must be a whole number.').min(1, 'Must be at least 1.').max(100, 'Must be at most 100.').optional(),
});
const pageOf = <T extends z.ZodType>(name: string, item: T) => z.object({ [name]: z.array(item), cursor: z.string().optional() });

const projectPath = '/v1/orgs/{orgId}/projects/{projectId}' as const;
const servicePath = '/v1/orgs/{orgId}/projects/{projectId}/services/{serviceId}' as const;

export const createProject = defineRoute({
  id: 'createProject',
  method: 'POST',
  path: '/v1/orgs/{orgId}/projects',
  domain: 'projects',
  summary: 'Creates a project in an organization; its name must be unique there (409)',
  auth: { kind: 'permission', permission: 'projects:create' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: OrgId }), body: z.object({ name: DnsLabel, description: Description.optional() }) },
  success: { status: 201, description: 'The project', schema: ProjectView },
  errors: [400, 403, 404, 409],
});

export const listProjects = defineRoute({
  id: 'listProjects',
  method: 'GET',
  path: '/v1/orgs/{orgId}/projects',
  domain: 'projects',
  summary: "An organization's projects, a page at a time (?limit=, ?cursor= from the previous page); a project-restricted API key sees only its projects",
  auth: { kind: 'permission', permission: 'projects:read' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: OrgId }), query: PageQuery },
  success: { status: 200, description: 'Projects', schema: pageOf('projects', ProjectView) },
  errors: [400, 403, 404],
});

export const getProject = defineRoute({
  id: 'getProject',
  method: 'GET',
  path: projectPath,
  domain: 'projects',
  summary: 'A project',
  auth: { kind: 'permission', permission: 'projects:read' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: OrgId, projectId: ProjectId }) },
  success: { status: 200, description: 'The project', schema: ProjectView },
  errors: [403, 404],
});

export const updateProject = defineRoute({
  id: 'updateProject',
  method: 'PATCH',
  path: projectPath,
  domain: 'projects',
  summary: 'Renames or redescribes a project (a name taken by another project of the organization is a 409); `version` must be the one read (412 when it changed meanwhile); a null description removes it',
  auth: { kind: 'permission', permission: 'projects:update' },
  rateLimit: 'general',
  request: {
    params: z.object({ orgId: OrgId, projectId: ProjectId }),
    body: z.object({ version: Version, name: DnsLabel.optional(), description: Description.nullable().optional() }),
  },
  success: { status: 200, description: 'The project', schema: ProjectView },
  errors: [400, 403, 404, 409, 412],
});

export const deleteProject = defineRoute({
  id: 'deleteProject',
  method: 'DELETE',
  path: projectPath,
  domain: 'projects',
  summary: 'Deletes a project; refused (409) while it has services',
  auth: { kind: 'permission', permission: 'projects:delete' },
  rateLimit: 'action',
  request: { params: z.object({ orgId: OrgId, projectId: ProjectId }) },
  success: { status: 204, description: 'Deleted', schema: NoContent },
  errors: [403, 404, 409],
});

export const createService = defineRoute({
  id: 'createService',
  method: 'POST',
  path: '/v1/orgs/{orgId}/projects/{projectId}/services',
  domain: 'projects',
  summary: 'Creates a service in a project from its spec; its name must be unique in the project (409)',
  auth: { kind: 'permission', permission: 'services:write' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: OrgId, projectId: ProjectId }), body: ServiceSpec },
  success: { status: 201, description: 'The service', schema: ServiceView },
  errors: [400, 403, 404, 409],
});

export const listServices = defineRoute({
  id: 'listServices',
  method: 'GET',
  path: '/v1/orgs/{orgId}/projects/{projectId}/services',
  domain: 'projects',
  summary: "A project's services, a page at a time (?limit=, ?cursor= from the previous page)",
  auth: { kind: 'permission', permission: 'services:read' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: OrgId, projectId: ProjectId }), query: PageQuery },
  success: { status: 200, description: 'Services', schema: pageOf('services', ServiceView) },
  errors: [400, 403, 404],
});

export const getService = defineRoute({
  id: 'getService',
  method: 'GET',
  path: servicePath,
  domain: 'projects',
  summary: 'A service',
  auth: { kind: 'permission', permission: 'services:read' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: OrgId, projectId: ProjectId, serviceId: ServiceId }) },
  success: { status: 200, description: 'The service', schema: ServiceView },
  errors: [403, 404],
});

export const updateService = defineRoute({
  id: 'updateService',
  method: 'PATCH',
  path: servicePath,
  domain: 'projects',
  summary: 'Changes a service spec (JSON merge patch: null removes a field; the name is fixed); `version` must be the one read (412 when it changed meanwhile)',
  auth: { kind: 'permission', permission: 'services:write' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: OrgId, projectId: ProjectId, serviceId: ServiceId }), body: ServiceSpecPatch.extend({ version: Version }) },
  success: { status: 200, description: 'The service', schema: ServiceView },
  errors: [400, 403, 404, 412],
});

export const deleteService = defineRoute({
  id: 'deleteService',
  method: 'DELETE',
  path: servicePath,
  domain: 'projects',
  summary: 'Deletes a service',
  auth: { kind: 'permission', permission: 'services:delete' },
  rateLimit: 'action',
  request: { params: z.object({ orgId: OrgId, projectId: ProjectId, serviceId: ServiceId }) },
  success: { status: 204, description: 'Deleted', schema: NoContent },
  errors: [403, 404],
});

export const projectRoutes = [
  createProject,
  listProjects,
  getProject,
  updateProject,
  deleteProject,
  createService,
  listServices,
  getService,
  updateService,
  deleteService,
  ...envRoutes,
] as const;
