import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { orgPartition, TenantKeyPrefixes, TenantKeys, type OrgScope } from '../kernel/auth/org-scope';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../kernel/errors';
import { Conditions, Writes, type Page, type Table, type TransactWrite } from '../kernel/storage/table';
import { TableDefinition } from '../kernel/storage/table-definition';

/**
 * A project, at `ORG#<orgId>` / `PROJECT#<projectId>`. `serviceCount` is kept by the service
 * writes in the same transactions, so a project with services can never be deleted (the delete is
 * conditional on it) and a service can never be created under a deleted project.
 */
export const ProjectRecord = z.object({
  projectId: z.string(),
  name: z.string(),
  description: z.string().optional(),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  serviceCount: z.number(),
  version: z.number(),
});
export type ProjectRecord = z.output<typeof ProjectRecord>;

export const ProjectView = z.object({
  projectId: z.string(),
  name: z.string(),
  description: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number(),
});
export const projectView = (p: ProjectRecord): z.output<typeof ProjectView> => ({
  projectId: p.projectId,
  name: p.name,
  ...(p.description !== undefined ? { description: p.description } : {}),
  createdAt: p.createdAt,
  updatedAt: p.updatedAt,
  version: p.version,
});

export const newProjectId = () => `p_${randomBytes(16).toString('hex')}`;

/** A new project (version 1, no services). */
export function createProjectWrite(scope: OrgScope, input: { name: string; description?: string | undefined }, createdBy: string, now: Date): { project: ProjectRecord; write: TransactWrite } {
  const at = now.toISOString();
  const project: ProjectRecord = {
    projectId: newProjectId(),
    name: input.name,
    ...(input.description !== undefined ? { description: input.description } : {}),
    createdAt: at,
    createdBy,
    updatedAt: at,
    serviceCount: 0,
    version: 1,
  };
  const { version: _v, ...item } = project;
  return { project, write: Writes.putVersioned({ ...TenantKeys.project(scope, project.projectId), ...item }, 0) };
}

export async function getProject(table: Table, scope: OrgScope, projectId: string): Promise<ProjectRecord | undefined> {
  return table.get(TenantKeys.project(scope, projectId), ProjectRecord, { consistent: true });
}

/** Access pattern: an organization's projects, by id, a page at a time. */
export async function listProjects(table: Table, scope: OrgScope, page: { limit: number; cursor?: string | undefined }): Promise<Page<ProjectRecord>> {
  return table.query({
    schema: ProjectRecord,
    partition: orgPartition(scope),
    sortKeyPrefix: TenantKeyPrefixes.projects(),
    limit: page.limit,
    consistent: true,
    ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
  });
}

/**
 * Changes name and description if the stored version is still `expectedVersion`. An update, not a
 * put: `serviceCount` belongs to the service writes and must not be overwritten with a stale copy.
 */
export function updateProjectWrite(scope: OrgScope, projectId: string, expectedVersion: number, changes: { name: string; description: string | undefined; updatedAt: string }): TransactWrite {
  const versionIs = Conditions.versionIs(expectedVersion);
  const description = changes.description === undefined ? ' REMOVE #description' : '';
  return {
    item: {
      Update: {
        TableName: '',
        Key: TenantKeys.project(scope, projectId),
        UpdateExpression: `SET #name = :name, #updatedAt = :updatedAt, #version = :nextVersion${changes.description !== undefined ? ', #description = :description' : ''}${description}`,
        ConditionExpression: versionIs.ConditionExpression,
        ExpressionAttributeNames: { ...versionIs.ExpressionAttributeNames, '#name': 'name', '#updatedAt': 'updatedAt', '#description': 'description' },
        ExpressionAttributeValues: {
          ...versionIs.ExpressionAttributeValues,
          ':name': changes.name,
          ':updatedAt': changes.updatedAt,
          ':nextVersion': expectedVersion + 1,
          ...(changes.description !== undefined ? { ':description': changes.description } : {}),
        },
      },
    },
    onConditionFailed: () => new PreconditionFailedError(),
  };
}

/** Deletes a project, only while it has no services (checked by the write itself). */
export function deleteProjectWrite(scope: OrgScope, projectId: string): TransactWrite {
  return Writes.delete(
    TenantKeys.project(scope, projectId),
    {
      ConditionExpression: 'attribute_exists(#pk) AND #serviceCount = :zero',
      ExpressionAttributeNames: { '#pk': TableDefinition.partitionKey, '#serviceCount': 'serviceCount' },
      ExpressionAttributeValues: { ':zero': 0 },
    },
    () => new ConflictError('Delete the services of this project first.'),
  );
}

/**
 * Counts a service in or out of its project, in the service write's transaction; the project must
 * still exist (a concurrent project delete wins, and the service write fails with a 404).
 */
export function projectServiceCountWrite(scope: OrgScope, projectId: string, delta: 1 | -1): TransactWrite {
  return {
    item: {
      Update: {
        TableName: '',
        Key: TenantKeys.project(scope, projectId),
        UpdateExpression: 'ADD #serviceCount :delta',
        ...Conditions.exists,
        ExpressionAttributeNames: { ...Conditions.exists.ExpressionAttributeNames, '#serviceCount': 'serviceCount' },
        ExpressionAttributeValues: { ':delta': delta },
      },
    },
    onConditionFailed: () => new NotFoundError('No such project.'),
  };
}
