import { z } from 'zod';
import { defineRoute } from '../kernel/http/route';
import { EnvName, EnvValue, EnvVarView, MAX_ENV_IMPORT } from './env';

/**
 * Routes of environment variables. They differ from the secrets issue's sketch in one place: the
 * import is `POST …/env/import` rather than `…/env:import`, since path segments are `[a-z0-9.-]`
 * (route.ts), and it takes `{"dotenv": "<file contents>"}`, since the pipeline accepts JSON bodies
 * only (415 otherwise). The pipeline's 64 KiB body limit applies: a larger import is a 413.
 */

const OrgId = z.string().regex(/^o_[0-9a-f]{32}$/, 'Not an organization id.');
const ProjectId = z.string().regex(/^p_[0-9a-f]{32}$/, 'Not a project id.');
const ServiceId = z.string().regex(/^svc_[0-9a-f]{32}$/, 'Not a service id.');
const NoContent = z.object({});

const projectEnv = '/v1/orgs/{orgId}/projects/{projectId}/env' as const;
const serviceEnv = '/v1/orgs/{orgId}/projects/{projectId}/services/{serviceId}/env' as const;
const projectParams = z.object({ orgId: OrgId, projectId: ProjectId });
const serviceParams = z.object({ orgId: OrgId, projectId: ProjectId, serviceId: ServiceId });

const SetBody = z.object({ value: EnvValue });
// The file is checked line by line by the handler (parseDotenv); 64 KiB bounds it already.
const ImportBody = z.object({ dotenv: z.string('Give the contents of a .env file.') });
const EnvList = z.object({ variables: z.array(EnvVarView) });
const Imported = z.object({ variables: z.array(EnvVarView) });

const setSummary = (level: string) => `Sets a ${level} environment variable (write-only: the value is sealed and never shown again); answers its name and new version`;
const importSummary = (level: string) =>
  `Applies a .env file ({"dotenv": "…"}) to the ${level}'s variables, all or nothing; at most ${MAX_ENV_IMPORT} variables an import, and the 64 KiB body limit applies (413)`;

export const setProjectEnv = defineRoute({
  id: 'setProjectEnv',
  method: 'PUT',
  path: `${projectEnv}/{name}`,
  domain: 'projects',
  summary: setSummary('project-level'),
  auth: { kind: 'permission', permission: 'env:write' },
  rateLimit: 'general',
  request: { params: projectParams.extend({ name: EnvName }), body: SetBody },
  success: { status: 200, description: 'The variable, without its value', schema: EnvVarView },
  errors: [400, 403, 404, 409, 413],
});

export const deleteProjectEnv = defineRoute({
  id: 'deleteProjectEnv',
  method: 'DELETE',
  path: `${projectEnv}/{name}`,
  domain: 'projects',
  summary: 'Deletes a project-level environment variable',
  auth: { kind: 'permission', permission: 'env:write' },
  rateLimit: 'general',
  request: { params: projectParams.extend({ name: EnvName }) },
  success: { status: 204, description: 'Deleted', schema: NoContent },
  errors: [400, 403, 404, 409],
});

export const listProjectEnv = defineRoute({
  id: 'listProjectEnv',
  method: 'GET',
  path: projectEnv,
  domain: 'projects',
  summary: "A project's environment variables by name: names and versions only, never a value",
  auth: { kind: 'permission', permission: 'env:read' },
  rateLimit: 'general',
  request: { params: projectParams },
  success: { status: 200, description: 'Variables', schema: EnvList },
  errors: [403, 404],
});

export const importProjectEnv = defineRoute({
  id: 'importProjectEnv',
  method: 'POST',
  path: `${projectEnv}/import`,
  domain: 'projects',
  summary: importSummary('project'),
  auth: { kind: 'permission', permission: 'env:write' },
  rateLimit: 'general',
  request: { params: projectParams, body: ImportBody },
  success: { status: 200, description: 'The variables set, without their values', schema: Imported },
  errors: [400, 403, 404, 409, 413],
});

export const setServiceEnv = defineRoute({
  id: 'setServiceEnv',
  method: 'PUT',
  path: `${serviceEnv}/{name}`,
  domain: 'projects',
  summary: `${setSummary('service-level')}; it overrides a project-level variable of the same name`,
  auth: { kind: 'permission', permission: 'env:write' },
  rateLimit: 'general',
  request: { params: serviceParams.extend({ name: EnvName }), body: SetBody },
  success: { status: 200, description: 'The variable, without its value', schema: EnvVarView },
  errors: [400, 403, 404, 409, 413],
});

export const deleteServiceEnv = defineRoute({
  id: 'deleteServiceEnv',
  method: 'DELETE',
  path: `${serviceEnv}/{name}`,
  domain: 'projects',
  summary: 'Deletes a service-level environment variable',
  auth: { kind: 'permission', permission: 'env:write' },
  rateLimit: 'general',
  request: { params: serviceParams.extend({ name: EnvName }) },
  success: { status: 204, description: 'Deleted', schema: NoContent },
  errors: [400, 403, 404, 409],
});

export const listServiceEnv = defineRoute({
  id: 'listServiceEnv',
  method: 'GET',
  path: serviceEnv,
  domain: 'projects',
  summary: "A service's own environment variables by name (not its project's): names and versions only, never a value",
  auth: { kind: 'permission', permission: 'env:read' },
  rateLimit: 'general',
  request: { params: serviceParams },
  success: { status: 200, description: 'Variables', schema: EnvList },
  errors: [403, 404],
});

export const importServiceEnv = defineRoute({
  id: 'importServiceEnv',
  method: 'POST',
  path: `${serviceEnv}/import`,
  domain: 'projects',
  summary: importSummary('service'),
  auth: { kind: 'permission', permission: 'env:write' },
  rateLimit: 'general',
  request: { params: serviceParams, body: ImportBody },
  success: { status: 200, description: 'The variables set, without their values', schema: Imported },
  errors: [400, 403, 404, 409, 413],
});

export const envRoutes = [setProjectEnv, deleteProjectEnv, listProjectEnv, importProjectEnv, setServiceEnv, deleteServiceEnv, listServiceEnv, importServiceEnv] as const;
