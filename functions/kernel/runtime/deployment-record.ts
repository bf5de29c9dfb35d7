import { z } from 'zod';
import type { OrgScope } from '../auth/org-scope';
import { ConflictError } from '../errors';
import { Ids } from '../ids';
import { Conditions } from '../storage/conditions';
import { defineEntity } from '../storage/entity';
import { Keys, Listings } from '../storage/keys';
import type { TransactWrite } from '../storage/table';

/**
 * A deployment of a service: written by the deployments domain when one is asked for, advanced by
 * the deploy state machine's steps (functions/deploy), read by both (docs/runtime.md,
 * "Deployments"). It holds ids, ARNs, the resolved image digest and ECS's own words when something
 * fails: never a value of the environment.
 */

export const DeploymentStatuses = ['queued', 'preparing', 'rolling_out', 'succeeded', 'failed', 'rolled_back'] as const;
export type DeploymentStatus = (typeof DeploymentStatuses)[number];
/** Statuses a deployment never leaves. */
export const FinalDeploymentStatuses: ReadonlySet<DeploymentStatus> = new Set(['succeeded', 'failed', 'rolled_back']);

/** Why a deployment was made: a new deployment of the spec, a rollback to an earlier one, a restart of the running one. */
export const DeploymentKinds = ['deploy', 'rollback', 'restart'] as const;

/** The steps of the state machine, in order; each records when it started and ended. */
export const DeploymentStepNames = ['prepare', 'network', 'service', 'rollout'] as const;
export type DeploymentStepName = (typeof DeploymentStepNames)[number];

const DeploymentStep = z.object({
  name: z.enum(DeploymentStepNames),
  status: z.enum(['running', 'succeeded', 'failed']),
  startedAt: z.string(),
  endedAt: z.string().optional(),
});

export const DeploymentRecord = z.object({
  deploymentId: Ids.deployment.schema,
  projectId: Ids.project.schema,
  serviceId: Ids.service.schema,
  kind: z.enum(DeploymentKinds),
  status: z.enum(DeploymentStatuses),
  /** The image reference as the spec gave it (tag or digest). */
  image: z.string(),
  /** Resolved at `prepare`: what the task runs, `sha256:…`. */
  imageDigest: z.string().optional(),
  /** The Secrets Manager version holding this deployment's environment (an id, not a value). */
  environmentVersion: z.string().optional(),
  /** When the environment this deployment was prepared with last changed: the API compares it with the current one. */
  environmentChangedAt: z.string().optional(),
  taskDefinitionArn: z.string().optional(),
  /** For a rollback: the deployment whose image and environment it returns to. */
  rollbackOf: Ids.deployment.schema.optional(),
  steps: z.array(DeploymentStep),
  /** A failure as ECS or the policy check worded it (never a value). */
  failure: z.object({ step: z.enum(DeploymentStepNames), reason: z.string().max(2000) }).optional(),
  createdAt: z.string(),
  /** Who asked: a user or API key id. */
  createdBy: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  version: z.number(),
});
export type DeploymentRecord = z.output<typeof DeploymentRecord>;

export const Deployments = defineEntity({
  name: 'deployment',
  schema: DeploymentRecord,
  key: Keys.deployment,
  queries: { ofService: Listings.deploymentsOfService },
});

/** The lock that keeps one deployment at a time per service; it expires so that a lost execution cannot hold it forever. */
const DeploymentLocks = defineEntity({
  name: 'deployment lock',
  schema: z.object({ deploymentId: Ids.deployment.schema, takenAt: z.string() }),
  key: Keys.deploymentLock,
});

/** A deployment is running for the service: the second request is refused, not queued. */
export class DeploymentInProgressError extends ConflictError {
  constructor() {
    super('A deployment of this service is in progress; wait for it to finish (GET …/deployments) and try again.');
  }
}

/**
 * How long a lock holds at most: the state machine's own deadline (`DEPLOYMENT_DEADLINE_SECONDS`)
 * and a margin, after which a new deployment may take it even if nothing released it.
 */
export const DEPLOYMENT_DEADLINE_SECONDS = 30 * 60;
const LOCK_MARGIN_SECONDS = 5 * 60;

/** The write that takes the service's lock for `deploymentId` (fails while another deployment holds it). */
export function takeDeploymentLockWrite(scope: OrgScope, projectId: string, serviceId: string, deploymentId: string, now: Date): TransactWrite {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return DeploymentLocks.at(scope, projectId, serviceId).put(
    { deploymentId, takenAt: now.toISOString(), expiresAt: nowSeconds + DEPLOYMENT_DEADLINE_SECONDS + LOCK_MARGIN_SECONDS },
    { when: Conditions.any(Conditions.notExists, Conditions.attributeAtMost('expiresAt', nowSeconds)), onConditionFailed: () => new DeploymentInProgressError() },
  );
}

/** The write that releases the lock, only if `deploymentId` still holds it. */
export const releaseDeploymentLockWrite = (scope: OrgScope, projectId: string, serviceId: string, deploymentId: string): TransactWrite =>
  DeploymentLocks.at(scope, projectId, serviceId).delete({ when: Conditions.absentOrHeldBy('deploymentId', deploymentId) });
