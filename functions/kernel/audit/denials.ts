import type { PermissionDeniedError } from '../auth/authorize';
import { principalId, type Principal } from '../auth/principal';
import type { Logger } from '../logging/logger';
import type { Platform } from '../platform/platform';
import { NamedBuckets } from '../rate-limit/policies';
import { bucketId, principalSubject } from '../rate-limit/subjects';
import { tokenBucketsFor } from '../rate-limit/token-bucket';
import { orgAuditEntry, type AuditedRequest } from './entries';

/**
 * Records a member's refused attempt (`access.denied`, outcome `denied`) in the organization's
 * chain, at most `NamedBuckets.deniedAccessRecords` a principal and hour. The request is refused
 * whatever happens here: a failure to record is logged, never turned into another answer.
 */
export async function recordDenial(
  platform: Pick<Platform, 'table' | 'audit'>,
  denial: PermissionDeniedError,
  request: AuditedRequest & { readonly principal: Principal; readonly routeId: string },
  logger: Logger,
): Promise<void> {
  try {
    const policy = NamedBuckets.deniedAccessRecords;
    const id = bucketId(policy.name, [...principalSubject(request.principal), denial.scope.orgId]);
    const decision = await tokenBucketsFor(platform.table).consume(id, policy);
    if (!decision.allowed) return;
    await platform.audit.commit({
      ...orgAuditEntry(request, denial.scope, 'access.denied', { type: 'route', id: request.routeId }, { route: request.routeId, permission: denial.permission, role: denial.role, ...(denial.reason === 'role' ? {} : { reason: denial.reason }) }),
      outcome: 'denied',
    });
  } catch (error) {
    logger.warn('Could not record a denied attempt', { error, principalType: request.principal.type, principalId: principalId(request.principal) });
  }
}
