import { can, defineRoute } from '../kernel/http/route';
import { NoContent, pageOf, PageQuery, Version } from '../kernel/http/schemas';
import { Ids } from '../kernel/ids';
import { ProjectParams } from './projects-routes';
import { ServiceView } from './services';
import { ServiceSpec, ServiceSpecPatch } from './service-spec';

/** The path parameters of everything under one service (its variables too). */
export const ServiceParams = ProjectParams.extend({ serviceId: Ids.service.schema });

const ServicePage = pageOf('services', ServiceView);
const ServiceChanges = ServiceSpecPatch.extend({ version: Version });

const servicesPath = '/v1/orgs/{orgId}/projects/{projectId}/services' as const;
const servicePath = `${servicesPath}/{serviceId}` as const;

export const createService = defineRoute({
  id: 'createService',
  method: 'POST',
  path: servicesPath,
  domain: 'projects',
  summary: 'Creates a service in a project from its spec',
  description: 'Creates a service from its spec for a caller holding services:write. Its name must be unique in the project: a taken name is a 409.',
  auth: can('services:write'),
  rateLimit: 'general',
  request: {
    params: ProjectParams,
    body: ServiceSpec,
  },
  success: {
    status: 201,
    description: 'The service',
    schema: ServiceView,
  },
  errors: [409],
});

export const listServices = defineRoute({
  id: 'listServices',
  method: 'GET',
  path: servicesPath,
  domain: 'projects',
  summary: "Lists a project's services, a page at a time",
  description: 'Lists the services of a project by id, a page at a time (?limit=, and ?cursor= from the previous page), to a caller holding services:read.',
  auth: can('services:read'),
  rateLimit: 'general',
  request: {
    params: ProjectParams,
    query: PageQuery,
  },
  success: {
    status: 200,
    description: 'Services',
    schema: ServicePage,
  },
});

export const getService = defineRoute({
  id: 'getService',
  method: 'GET',
  path: servicePath,
  domain: 'projects',
  summary: 'Reads a service',
  description: 'Answers one service, its spec flattened as a POST takes it, to a caller holding services:read.',
  auth: can('services:read'),
  rateLimit: 'general',
  request: {
    params: ServiceParams,
  },
  success: {
    status: 200,
    description: 'The service',
    schema: ServiceView,
  },
});

export const updateService = defineRoute({
  id: 'updateService',
  method: 'PATCH',
  path: servicePath,
  domain: 'projects',
  summary: 'Changes a service spec',
  description: 'Applies a JSON merge patch to a service spec (null removes a field; the name is fixed) and checks the result as a whole. `version` must be the one read: a 412 when it changed meanwhile.',
  auth: can('services:write'),
  rateLimit: 'general',
  request: {
    params: ServiceParams,
    body: ServiceChanges,
  },
  success: {
    status: 200,
    description: 'The service',
    schema: ServiceView,
  },
  errors: [412],
});

export const deleteService = defineRoute({
  id: 'deleteService',
  method: 'DELETE',
  path: servicePath,
  domain: 'projects',
  summary: 'Deletes a service',
  description: 'Deletes a service and its own environment variables, and releases its name, for a caller holding services:delete.',
  auth: can('services:delete'),
  rateLimit: 'action',
  request: {
    params: ServiceParams,
  },
  success: {
    status: 204,
    description: 'Deleted',
    schema: NoContent,
  },
});

export const serviceRoutes = [createService, listServices, getService, updateService, deleteService] as const;
