import { z } from 'zod';
import { defineRoute } from '../kernel/http/route';
import { NoContent } from '../kernel/http/schemas';
import { EnvName, EnvValue, EnvVarView, MAX_ENV_IMPORT, MAX_ENV_VARS, RESERVED_ENV_PREFIXES } from './env';
import { ProjectParams } from './projects-routes';
import { ServiceParams } from './services-routes';

/**
 * Routes of environment variables. They differ from the secrets issue's sketch in one place: the
 * import is `POST …/env/import` rather than `…/env:import`, since path segments are `[a-z0-9.-]`
 * (route.ts), and it takes `{"dotenv": "<file contents>"}`, since the pipeline accepts JSON bodies
 * only (415 otherwise). The pipeline's 64 KiB body limit applies: a larger import is a 413.
 */

const projectEnv = '/v1/orgs/{orgId}/projects/{projectId}/env' as const;
const serviceEnv = '/v1/orgs/{orgId}/projects/{projectId}/services/{serviceId}/env' as const;

const SetBody = z.object({ value: EnvValue });
// The file is checked line by line by the implementation (parseDotenv); 64 KiB bounds it already.
const ImportBody = z.object({ dotenv: z.string('Give the contents of a .env file.') });
const EnvList = z.object({ variables: z.array(EnvVarView) });
const Imported = z.object({ variables: z.array(EnvVarView) });

const setDescription = (noun: string) =>
  `Seals the value to the organization's key and stores it as the variable's next version, for a caller holding env:write. The value is write-only: no route shows it again; the answer holds the name and new version. Names with a reserved prefix (${RESERVED_ENV_PREFIXES.join(', ')}) and a change that would take the ${noun} past ${MAX_ENV_VARS} variables are refused (400).`;
const importDescription = (noun: string) =>
  `Applies a .env file ({"dotenv": "…"}) to the ${noun}'s variables, all or nothing, for a caller holding env:write. At most ${MAX_ENV_IMPORT} variables an import; a file with an invalid line is a 400 naming the line, and one over the 64 KiB body limit a 413.`;

/** Where variables live: a project (shared by its services) or one of its services. */
interface EnvLevel<P extends z.ZodObject<typeof ProjectParams.shape>> {
  /** `Project` or `Service`: route ids are `setProjectEnv`, `listServiceEnv`, … */
  readonly id: 'Project' | 'Service';
  readonly path: typeof projectEnv | typeof serviceEnv;
  readonly params: P;
  readonly setNote: string;
  readonly listSummary: string;
  readonly listDescription: string;
}

/** The four routes of one level, declared once for both. */
function envRoutesFor<P extends z.ZodObject<typeof ProjectParams.shape>>(level: EnvLevel<P>) {
  const named = level.params.extend({ name: EnvName });
  const noun = level.id === 'Project' ? 'project' : 'service';
  return {
    set: defineRoute({
      id: `set${level.id}Env`,
      method: 'PUT',
      path: `${level.path}/{name}`,
      domain: 'projects',
      summary: `Sets a ${noun}-level environment variable`,
      description: `${setDescription(noun)}${level.setNote}`,
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
      description: `Deletes one variable of the ${noun} for a caller holding env:write; an unknown name is a 404, and a variable changed meanwhile a 409.`,
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
      description: level.listDescription,
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
      summary: `Applies a .env file to the ${noun}'s variables`,
      description: importDescription(noun),
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
  params: ProjectParams,
  setNote: '',
  listSummary: "Lists a project's environment variables",
  listDescription: "Lists a project's environment variables by name, to a caller holding env:read: names and versions only, never a value.",
});

export const serviceEnvRoutes = envRoutesFor({
  id: 'Service',
  path: serviceEnv,
  params: ServiceParams,
  setNote: " It overrides the project's variable of the same name.",
  listSummary: "Lists a service's own environment variables",
  listDescription: "Lists a service's own environment variables by name (not its project's), to a caller holding env:read: names and versions only, never a value.",
});

export const envRoutes = [projectEnvRoutes, serviceEnvRoutes].flatMap((r) => [r.set, r.delete, r.list, r.import]);
