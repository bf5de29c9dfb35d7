import { describe, expect, it } from 'vitest';
import { mintOrgScope } from '../../functions/kernel/auth/org-scope';
import { Ids } from '../../functions/kernel/ids';
import {
  DEPLOYMENT_DEADLINE_SECONDS,
  DeploymentInProgressError,
  Deployments,
  releaseDeploymentLockWrite,
  takeDeploymentLockWrite,
  type DeploymentRecord,
} from '../../functions/kernel/runtime/deployment-record';
import { testPlatform, uniqueId } from '../support/platform';

const { table } = testPlatform();
const freshScope = () => mintOrgScope(`o_${uniqueId('').slice(0, 12).padEnd(32, '0')}`);
const [projectId, serviceId] = ['p_00000000000000000000000000000001', 'svc_00000000000000000000000000000001'];

describe('deployment ids', () => {
  it('sort by creation time, and are still valid, distinct deployment ids', () => {
    const early = Ids.deployment.generate(1_700_000_000_000);
    const late = Ids.deployment.generate(1_700_000_000_001);
    expect(early < late).toBe(true);
    expect(Ids.deployment.is(early) && Ids.deployment.is(late)).toBe(true);
    expect(new Set(Array.from({ length: 100 }, () => Ids.deployment.generate(1_700_000_000_000))).size).toBe(100);
  });
});

describe('one deployment at a time per service', () => {
  it('refuses a second lock while the first holds, and takes it once released', async () => {
    const scope = freshScope();
    const now = new Date();
    const [first, second] = [Ids.deployment.generate(), Ids.deployment.generate()];
    await table.transact([takeDeploymentLockWrite(scope, projectId, serviceId, first, now)]);
    await expect(table.transact([takeDeploymentLockWrite(scope, projectId, serviceId, second, now)])).rejects.toBeInstanceOf(DeploymentInProgressError);
    // Another service of the project is not held back.
    await table.transact([takeDeploymentLockWrite(scope, projectId, 'svc_00000000000000000000000000000002', second, now)]);
    // Only its holder releases it.
    await table.transact([releaseDeploymentLockWrite(scope, projectId, serviceId, second)]).catch(() => undefined);
    await expect(table.transact([takeDeploymentLockWrite(scope, projectId, serviceId, second, now)])).rejects.toBeInstanceOf(DeploymentInProgressError);
    await table.transact([releaseDeploymentLockWrite(scope, projectId, serviceId, first)]);
    await table.transact([takeDeploymentLockWrite(scope, projectId, serviceId, second, now)]);
  });

  it('lets a new deployment take a lock that outlived its deadline (a lost execution cannot hold it forever)', async () => {
    const scope = freshScope();
    const then = new Date(Date.now() - (DEPLOYMENT_DEADLINE_SECONDS + 6 * 60) * 1000);
    await table.transact([takeDeploymentLockWrite(scope, projectId, serviceId, Ids.deployment.generate(), then)]);
    await table.transact([takeDeploymentLockWrite(scope, projectId, serviceId, Ids.deployment.generate(), new Date())]);
  });
});

describe('deployment records', () => {
  it('list newest first by their time-ordered ids', async () => {
    const scope = freshScope();
    const at = (ms: number): DeploymentRecord => {
      const when = new Date(ms).toISOString();
      return { deploymentId: Ids.deployment.generate(ms), projectId, serviceId, kind: 'deploy', status: 'queued', image: 'acme/api:1', steps: [], createdAt: when, createdBy: 'u_1', updatedAt: when, version: 1 };
    };
    const records = [at(1_700_000_000_000), at(1_700_000_500_000), at(1_700_001_000_000)];
    await table.transact(records.map((r) => Deployments.at(scope, projectId, serviceId, r.deploymentId).create(r)));
    const page = await table.queryPage(Deployments.query.ofService(scope, projectId, serviceId), { ascending: false, limit: 2 });
    expect(page.items.map((r) => r.deploymentId)).toEqual([records[2]!.deploymentId, records[1]!.deploymentId]);
    expect(page.cursor).toBeDefined();
  });
});
