import { z } from 'zod';
import { type OrgScope } from '../kernel/auth/org-scope';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../kernel/errors';
import { Ids } from '../kernel/ids';
import { Conditions } from '../kernel/storage/conditions';
import { defineEntity, RecordStamps } from '../kernel/storage/entity';
import { Keys, Listings } from '../kernel/storage/keys';
import { type Page, type PageRequest, type Table, type TransactWrite } from '../kernel/storage/table';

/**
 * A project, at `ORG#<orgId>` / `PROJECT#<projectId>`. `serviceCount` is kept by the service
 * writes in the same transactions, so a project with services can never be deleted (the delete is
 * conditional on it) and a service can never be created under a deleted project.
 */
export const ProjectRecord = z.object({
  projectId: z.string(),
  name: z.string(),
  description: z.string().optional(),
  serviceCount: z.number(),
  ...RecordStamps,
});
export type ProjectRecord = z.output<typeof ProjectRecord>;

export const Projects = defineEntity({ name: 'project', schema: ProjectRecord, key: Keys.project, queries: { ofOrg: Listings.projectsOfOrg } });

/**
 * A project's claim on its name in the organization (holding the project id). Names are DNS labels,
 * already lower case, so they are compared exactly.
 */
export const ProjectNames = defineEntity({ name: 'project name', schema: z.object({ projectId: z.string() }), key: Keys.projectName });

/** A project as the API shows it: its record, less who made it and the service counter. */
export const ProjectView = ProjectRecord.omit({ createdBy: true, serviceCount: true }).meta({ id: 'Project' });
export const projectView = (p: ProjectRecord): z.output<typeof ProjectView> => ({
  projectId: p.projectId,
  name: p.name,
  ...(p.description !== undefined ? { description: p.description } : {}),
  createdAt: p.createdAt,
  updatedAt: p.updatedAt,
  version: p.version,
});

const claimProjectNameWrite = (scope: OrgScope, projectId: string, name: string): TransactWrite =>
  ProjectNames.at(scope, name).create({ projectId }, () => new ConflictError(`name: a project named "${name}" already exists in this organization.`));

/** Releases a project's claim on a name; only the project holding it can. */
const releaseProjectNameWrite = (scope: OrgScope, projectId: string, name: string): TransactWrite =>
  // A claim held by another project means the names were inconsistent before claims existed: say so
  // as a conflict rather than fail as a bug.
  ProjectNames.at(scope, name).delete({
    when: Conditions.absentOrHeldBy('projectId', projectId),
    onConditionFailed: () => new ConflictError(`name: the name "${name}" is held by another project.`),
  });

/** A new project (version 1, no services) and its claim on its name, in one transaction. */
export function createProjectWrites(scope: OrgScope, input: { name: string; description?: string | undefined }, createdBy: string, now: Date): { project: ProjectRecord; writes: TransactWrite[] } {
  const at = now.toISOString();
  const project: ProjectRecord = {
    projectId: Ids.project.generate(),
    name: input.name,
    ...(input.description !== undefined ? { description: input.description } : {}),
    createdAt: at,
    createdBy,
    updatedAt: at,
    serviceCount: 0,
    version: 1,
  };
  const { version: _v, ...item } = project;
  return { project, writes: [Projects.at(scope, project.projectId).putVersioned(item, 0), claimProjectNameWrite(scope, project.projectId, project.name)] };
}

/** Moves a project's name claim from `from` to `to`, in the transaction of the rename (409 when `to` is taken). */
export function renameProjectWrites(scope: OrgScope, projectId: string, from: string, to: string): TransactWrite[] {
  return [releaseProjectNameWrite(scope, projectId, from), claimProjectNameWrite(scope, projectId, to)];
}

export async function getProject(table: Table, scope: OrgScope, projectId: string): Promise<ProjectRecord | undefined> {
  return table.read(Projects.at(scope, projectId));
}

/** Access pattern: an organization's projects, by id, a page at a time. */
export async function listProjects(table: Table, scope: OrgScope, page: PageRequest): Promise<Page<ProjectRecord>> {
  return table.queryPage(Projects.query.ofOrg(scope), { ...page, consistent: true });
}

/** Most projects a restricted API key can name (`projectIds` of a key: 1–20). */
const MAX_KEY_PROJECTS = 20;

/**
 * Access pattern: the projects among `projectIds` (a restricted API key's), by id, a page at a
 * time. A key names at most 20 projects, so they are read directly (consistent GetItems) rather
 * than filtered out of the organization's listing: pages stay full (a page is short only when it is
 * the last) and the cursor is the one the listing would give after the same project, so it is
 * checked the same way (own partition, project prefix).
 */
export async function listProjectsAmong(table: Table, scope: OrgScope, projectIds: readonly string[], page: { limit: number; cursor?: string | undefined }): Promise<Page<ProjectRecord>> {
  if (projectIds.length > MAX_KEY_PROJECTS) throw new TypeError(`at most ${MAX_KEY_PROJECTS} project ids`);
  const listing = Projects.query.ofOrg(scope);
  const after = table.resumePointOf(listing, page.cursor);
  // Project keys differ only in their fixed-width ids: sorting the ids sorts the keys as the listing does.
  const ids = [...new Set(projectIds)].sort().filter((id) => after === undefined || Projects.key(scope, id).sk > after);
  const found = (await Promise.all(ids.map((id) => getProject(table, scope, id)))).filter((p) => p !== undefined);
  const items = found.slice(0, page.limit);
  const last = items.at(-1);
  return found.length > items.length && last ? { items, cursor: table.cursorAfter(listing, Projects.key(scope, last.projectId)) } : { items };
}

/**
 * Changes name and description if the stored version is still `expectedVersion`. An update, not a
 * put: `serviceCount` belongs to the service writes and must not be overwritten with a stale copy.
 */
export function updateProjectWrite(scope: OrgScope, projectId: string, expectedVersion: number, changes: { name: string; description: string | undefined; updatedAt: string }): TransactWrite {
  const { description, ...set } = changes;
  return Projects.at(scope, projectId).update(
    description === undefined ? { set: { ...set, version: expectedVersion + 1 }, remove: ['description'] } : { set: { ...set, description, version: expectedVersion + 1 } },
    { when: Conditions.versionIs(expectedVersion), onConditionFailed: () => new PreconditionFailedError() },
  );
}

/** Deletes a project, only while it has no services (checked by the write itself), and releases its name. */
export function deleteProjectWrites(scope: OrgScope, project: { projectId: string; name: string }): TransactWrite[] {
  return [
    Projects.at(scope, project.projectId).delete({
      when: Conditions.all(Conditions.exists, Conditions.attributeIs('serviceCount', 0)),
      onConditionFailed: () => new ConflictError('Delete the services of this project first.'),
    }),
    releaseProjectNameWrite(scope, project.projectId, project.name),
  ];
}

/**
 * Counts a service in or out of its project, in the service write's transaction; the project must
 * still exist (a concurrent project delete wins, and the service write fails with a 404).
 */
export function projectServiceCountWrite(scope: OrgScope, projectId: string, delta: 1 | -1): TransactWrite {
  return Projects.at(scope, projectId).update({ add: { serviceCount: delta } }, { when: Conditions.exists, onConditionFailed: () => new NotFoundError('No such project.') });
}
