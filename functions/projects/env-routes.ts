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

/** Where variables live: a project (shared by its services) or one of its services. */
interface EnvLevel<P extends z.ZodObject<{ orgId: typeof OrgId; projectId: typeof ProjectId }>> {
  /** `Project` or `Service`: route ids are `setProjectEnv`, `listServiceEnv`, … */
  readonly id: 'Project' | 'Service';
  readonly path: typeof projectEnv | typeof serviceEnv;
  readonly params: P;
  readonly setNote: string;
  readonly listSummary: string;
}

/** The four routes of one level, declared once for both. */
function envRoutesFor<P extends z.ZodObject<{ orgId: typeof OrgId; projectId: typeof ProjectId }>>(level: EnvLevel<P>) {
  const named = level.params.extend({ name: EnvName });
  const noun = level.id === 'Project' ? 'project' : 'service';
  return {
    set: defineRoute({
      id: `set${level.id}Env`,
      method: 'PUT',
      path: `${level.path}/{name}`,
      domain: 'projects',
      summary: `${setSummary(`${noun}-level`)}${level.setNote}`,
      auth: { kind: 'permission', permission: 'env:write' },
      rateLimit: 'general',
      request: { params: named, body: SetBody },
      success: { status: 200, description: 'The variable, without its value', schema: EnvVarView },
      errors: [400, 403, 404, 409, 413],
    }),
    delete: defineRoute({
      id: `delete${level.id}Env`,
      method: 'DELETE',
      path: `${level.path}/{name}`,
      domain: 'projects',
      summary: `Deletes a ${noun}-level environment variable`,
      auth: { kind: 'permission', permission: 'env:write' },
      rateLimit: 'general',
      request: { params: named },
      success: { status: 204, description: 'Deleted', schema: NoContent },
      errors: [400, 403, 404, 409],
    }),
    list: defineRoute({
      id: `list${level.id}Env`,
      method: 'GET',
      path: level.path,
      domain: 'projects',
      summary: level.listSummary,
      auth: { kind: 'permission', permission: 'env:read' },
      rateLimit: 'general',
      request: { params: level.params },
      success: { status: 200, description: 'Variables', schema: EnvList },
      errors: [403, 404],
    }),
    import: defineRoute({
      id: `import${level.id}Env`,
      method: 'POST',
      path: `${level.path}/import`,
      domain: 'projects',
      summary: importSummary(noun),
      auth: { kind: 'permission', permission: 'env:write' },
      rateLimit: 'general',
      request: { params: level.params, body: ImportBody },
      success: { status: 200, description: 'The variables set, without their values', schema: Imported },
      errors: [400, 403, 404, 409, 413],
    }),
  };
}

export const projectEnvRoutes = envRoutesFor({
  id: 'Project',
  path: projectEnv,
  params: projectParams,
  setNote: '',
  listSummary: "A project's environment variables by name: names and versions only, never a value",
});

export const serviceEnvRoutes = envRoutesFor({
  id: 'Service',
  path: serviceEnv,
  params: serviceParams,
  setNote: '; it overrides a project-level variable of the same name',
  listSummary: "A service's own environment variables by name (not its project's): names and versions only, never a value",
});

export const envRoutes = [projectEnvRoutes, serviceEnvRoutes].flatMap((r) => [r.set, r.delete, r.list, r.import]);
