import { z } from 'zod';
import { can, defineRoute } from '../kernel/http/route';
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

const ProjectVariableParams = ProjectParams.extend({ name: EnvName });
const ServiceVariableParams = ServiceParams.extend({ name: EnvName });
const EnvValueBody = z.object({ value: EnvValue }).meta({ id: 'EnvValue' });
/** The file is checked line by line by the implementation (parseDotenv); 64 KiB bounds it already. */
const DotenvFile = z.object({ dotenv: z.string('Give the contents of a .env file.') }).meta({ id: 'DotenvFile' });
/** The variables of a level, or those an import set. */
const EnvVariableList = z.object({ variables: z.array(EnvVarView) }).meta({ id: 'EnvVariableList' });

const setDescription = (noun: string, note = '') =>
  `Seals the value to the organization's key and stores it as the variable's next version, for a caller holding env:write. The value is write-only: no route shows it again; the answer holds the name and new version. Names with a reserved prefix (${RESERVED_ENV_PREFIXES.join(', ')}) and a change that would take the ${noun} past ${MAX_ENV_VARS} variables are refused (400).${note}`;
const deleteDescription = (noun: string) =>
  `Deletes one variable of the ${noun} for a caller holding env:write; an unknown name is a 404, and a variable changed meanwhile a 409.`;
const importDescription = (noun: string) =>
  `Applies a .env file ({"dotenv": "…"}) to the ${noun}'s variables, all or nothing, for a caller holding env:write. At most ${MAX_ENV_IMPORT} variables an import; a file with an invalid line is a 400 naming the line, and one over the 64 KiB body limit a 413.`;

type LevelParams = z.ZodObject<typeof ProjectParams.shape>;
type VariableParams = z.ZodObject<typeof ProjectVariableParams.shape>;

/** What the reference says of one route. */
interface RouteText {
  readonly id: string;
  readonly summary: string;
  readonly description: string;
}

/** Where variables live: a project (shared by its services) or one of its services. */
interface EnvLevel<P extends LevelParams, V extends VariableParams> {
  readonly path: typeof projectEnv | typeof serviceEnv;
  readonly params: P;
  /** The level's path parameters and the variable's `{name}`. */
  readonly variableParams: V;
  readonly set: RouteText;
  readonly delete: RouteText;
  readonly list: RouteText;
  readonly import: RouteText;
}

/** The four routes of one level, declared once for both. */
function envRoutesFor<P extends LevelParams, V extends VariableParams>(level: EnvLevel<P, V>) {
  const { params: levelParams, variableParams, set, delete: remove, list, import: dotenv } = level;
  const variablePath = `${level.path}/{name}` as const;
  const importPath = `${level.path}/import` as const;
  return {
    set: defineRoute({
      id: set.id,
      method: 'PUT',
      path: variablePath,
      domain: 'projects',
      summary: set.summary,
      description: set.description,
      auth: can('env:write'),
      rateLimit: 'general',
      request: {
        params: variableParams,
        body: EnvValueBody,
      },
      success: {
        status: 200,
        description: 'The variable, without its value',
        schema: EnvVarView,
      },
      errors: [409],
    }),
    delete: defineRoute({
      id: remove.id,
      method: 'DELETE',
      path: variablePath,
      domain: 'projects',
      summary: remove.summary,
      description: remove.description,
      auth: can('env:write'),
      rateLimit: 'general',
      request: {
        params: variableParams,
      },
      success: {
        status: 204,
        description: 'Deleted',
        schema: NoContent,
      },
      errors: [409],
    }),
    list: defineRoute({
      id: list.id,
      method: 'GET',
      path: level.path,
      domain: 'projects',
      summary: list.summary,
      description: list.description,
      auth: can('env:read'),
      rateLimit: 'general',
      request: {
        params: levelParams,
      },
      success: {
        status: 200,
        description: 'Variables',
        schema: EnvVariableList,
      },
    }),
    import: defineRoute({
      id: dotenv.id,
      method: 'POST',
      path: importPath,
      domain: 'projects',
      summary: dotenv.summary,
      description: dotenv.description,
      auth: can('env:write'),
      rateLimit: 'general',
      request: {
        params: levelParams,
        body: DotenvFile,
      },
      success: {
        status: 200,
        description: 'The variables set, without their values',
        schema: EnvVariableList,
      },
      errors: [409],
    }),
  };
}

export const projectEnvRoutes = envRoutesFor({
  path: projectEnv,
  params: ProjectParams,
  variableParams: ProjectVariableParams,
  set: {
    id: 'setProjectEnv',
    summary: 'Sets a project-level environment variable',
    description: setDescription('project'),
  },
  delete: {
    id: 'deleteProjectEnv',
    summary: 'Deletes a project-level environment variable',
    description: deleteDescription('project'),
  },
  list: {
    id: 'listProjectEnv',
    summary: "Lists a project's environment variables",
    description: "Lists a project's environment variables by name, to a caller holding env:read: names and versions only, never a value.",
  },
  import: {
    id: 'importProjectEnv',
    summary: "Applies a .env file to the project's variables",
    description: importDescription('project'),
  },
});

export const serviceEnvRoutes = envRoutesFor({
  path: serviceEnv,
  params: ServiceParams,
  variableParams: ServiceVariableParams,
  set: {
    id: 'setServiceEnv',
    summary: 'Sets a service-level environment variable',
    description: setDescription('service', " It overrides the project's variable of the same name."),
  },
  delete: {
    id: 'deleteServiceEnv',
    summary: 'Deletes a service-level environment variable',
    description: deleteDescription('service'),
  },
  list: {
    id: 'listServiceEnv',
    summary: "Lists a service's own environment variables",
    description: "Lists a service's own environment variables by name (not its project's), to a caller holding env:read: names and versions only, never a value.",
  },
  import: {
    id: 'importServiceEnv',
    summary: "Applies a .env file to the service's variables",
    description: importDescription('service'),
  },
});

export const envRoutes = [projectEnvRoutes, serviceEnvRoutes].flatMap((r) => [r.set, r.delete, r.list, r.import]);
