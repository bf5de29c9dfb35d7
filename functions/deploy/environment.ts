import { type OrgScope } from '../kernel/auth/org-scope';
import { NotFoundError } from '../kernel/errors';
import { SealedValueError } from '../kernel/keys/aead';
import type { OrgKeyRing } from '../kernel/keys/org-keys';
import type { Table } from '../kernel/storage/table';
import { getOrg, orgKeyVersion, type OrgRecord } from '../kernel/tenancy/org-record';
import { envValueIdentity, envVarAt, listEnvVars, resolveEnvironment, type EnvOwner } from '../projects/env';
import { Services } from '../projects/services';

/**
 * The environment a service runs with, opened: the deploy path's one way to values. Its project's
 * variables, overridden by the service's own (`resolveEnvironment`), each opened with the key
 * version it names. Callers pass the values to the task's secret store and nowhere else: never to a
 * log, an event, an audit record or a response.
 */

export interface OpenedVariable {
  readonly name: string;
  readonly value: string;
}

export interface EnvironmentDeps {
  readonly table: Table;
  readonly ring: OrgKeyRing;
}

/** Opens the variables of a project (no `serviceId`) or the resolved environment of one of its services. */
export async function openEnvironment(deps: EnvironmentDeps, scope: OrgScope, owner: EnvOwner): Promise<OpenedVariable[]> {
  const { table } = deps;
  if (owner.serviceId !== undefined) {
    if (!(await table.exists(Services.at(scope, owner.projectId, owner.serviceId)))) throw new NotFoundError('No such service.');
  }
  const [projectVars, serviceVars] = await Promise.all([
    listEnvVars(table, scope, { projectId: owner.projectId }),
    owner.serviceId === undefined ? Promise.resolve([]) : listEnvVars(table, scope, owner),
  ]);
  const chosen = resolveEnvironment(projectVars, serviceVars);
  let org = await orgOf(table, scope);
  const opened: OpenedVariable[] = [];
  for (const variable of chosen) {
    let current = variable;
    let key = orgKeyVersion(org, current.keyVersion);
    if (!key) {
      // Re-sealed and its old version retired since the list was read: read both again.
      const fresh = await table.read(envVarAt(scope, current, current.name));
      if (!fresh) continue; // deleted meanwhile
      current = fresh;
      org = await orgOf(table, scope);
      key = orgKeyVersion(org, current.keyVersion);
      if (!key) throw new SealedValueError(`${current.name} is sealed under key version ${current.keyVersion}, which the organization no longer holds.`);
    }
    const plaintext = (await deps.ring.open(scope.orgId, key)).openEnvValue(envValueIdentity(scope, current), current.sealed);
    try {
      opened.push({ name: current.name, value: plaintext.toString('utf8') });
    } finally {
      plaintext.fill(0);
    }
  }
  return opened;
}

async function orgOf(table: Table, scope: OrgScope): Promise<OrgRecord> {
  const org = await getOrg(table, scope);
  if (!org) throw new NotFoundError('No such organization.');
  return org;
}
