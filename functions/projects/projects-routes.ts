import { z } from 'zod';
import { can, defineRoute } from '../kernel/http/route';
import { FreeText, NoContent, OrgParams, pageOf, PageQuery, Version } from '../kernel/http/schemas';
import { Ids } from '../kernel/ids';
import { ProjectView } from './projects';
import { DnsLabel } from './service-spec';

/** The path parameters of everything under one project (its services and variables too). */
export const ProjectParams = OrgParams.extend({ projectId: Ids.project.schema });

const Description = FreeText({ max: 500, min: 0 });
const NewProject = z.object({ name: DnsLabel, description: Description.optional() });
const ProjectPage = pageOf('projects', ProjectView);
/** A null description removes it. */
const ProjectChanges = z.object({ version: Version, name: DnsLabel.optional(), description: Description.nullable().optional() });

const projectPath = '/v1/orgs/{orgId}/projects/{projectId}' as const;

export const createProject = defineRoute({
  id: 'createProject',
  method: 'POST',
  path: '/v1/orgs/{orgId}/projects',
  domain: 'projects',
  summary: 'Creates a project in an organization',
  description: 'Creates a project for a caller holding projects:create. Its name must be unique in the organization: a taken name is a 409.',
  auth: can('projects:create'),
  rateLimit: 'general',
  request: {
    params: OrgParams,
    body: NewProject,
  },
  success: {
    status: 201,
    description: 'The project',
    schema: ProjectView,
  },
  errors: [409],
});

export const listProjects = defineRoute({
  id: 'listProjects',
  method: 'GET',
  path: '/v1/orgs/{orgId}/projects',
  domain: 'projects',
  summary: "Lists an organization's projects, a page at a time",
  description: 'Lists the projects by id, a page at a time (?limit=, and ?cursor= from the previous page). An API key restricted to some projects sees only those; a cursor of another organization is a 400.',
  auth: can('projects:read'),
  rateLimit: 'general',
  request: {
    params: OrgParams,
    query: PageQuery,
  },
  success: {
    status: 200,
    description: 'Projects',
    schema: ProjectPage,
  },
});

export const getProject = defineRoute({
  id: 'getProject',
  method: 'GET',
  path: projectPath,
  domain: 'projects',
  summary: 'Reads a project',
  description: "Answers one project to a caller holding projects:read; a project of another organization, or outside a restricted API key's projects, is a 404.",
  auth: can('projects:read'),
  rateLimit: 'general',
  request: {
    params: ProjectParams,
  },
  success: {
    status: 200,
    description: 'The project',
    schema: ProjectView,
  },
});

export const updateProject = defineRoute({
  id: 'updateProject',
  method: 'PATCH',
  path: projectPath,
  domain: 'projects',
  summary: 'Renames or redescribes a project',
  description: 'Changes the name or description of a project (a null description removes it). A name taken by another project of the organization is a 409; `version` must be the one read, a 412 when it changed meanwhile.',
  auth: can('projects:update'),
  rateLimit: 'general',
  request: {
    params: ProjectParams,
    body: ProjectChanges,
  },
  success: {
    status: 200,
    description: 'The project',
    schema: ProjectView,
  },
  errors: [409, 412],
});

export const deleteProject = defineRoute({
  id: 'deleteProject',
  method: 'DELETE',
  path: projectPath,
  domain: 'projects',
  summary: 'Deletes a project',
  description: 'Deletes a project and its environment variables for a caller holding projects:delete; refused (409) while the project has services.',
  auth: can('projects:delete'),
  rateLimit: 'action',
  request: {
    params: ProjectParams,
  },
  success: {
    status: 204,
    description: 'Deleted',
    schema: NoContent,
  },
  errors: [409],
});

export const projectRoutes = [createProject, listProjects, getProject, updateProject, deleteProject] as const;
