import type { OrgScope } from '../auth/org-scope';
import type { Principal } from '../auth/principal';
import type { AuditEntry } from './audit-trail';
import type { AuditAction, AuditMetadata } from './catalogue';
import type { AuditActor, AuditTarget } from './record';
import { AuditScopes } from './scopes';

/** What an audit entry needs to know of a request: who calls, from where. */
export interface AuditedRequest {
  readonly principal: Principal | undefined;
  readonly sourceIp: string;
  readonly userAgent: string | undefined;
}

/** The audit actor of a request: the principal, or an anonymous caller known by IP and agent. */
export function actorOf(request: AuditedRequest, userId?: string): AuditActor {
  const client = { ip: request.sourceIp, ...(request.userAgent ? { userAgent: request.userAgent.slice(0, 512) } : {}) };
  if (request.principal?.type === 'user') return { type: 'user', id: request.principal.userId, ...client };
  if (request.principal?.type === 'api_key') return { type: 'api_key', id: request.principal.keyId, ...client };
  if (userId) return { type: 'user', id: userId, ...client };
  return { type: 'system', id: 'anonymous', ...client };
}

/**
 * An entry in an organization's chain, made by the request's principal.
 * @example await audit.commit(orgAuditEntry(ctx, ctx.org.scope, 'project.created', { type: 'project', id }, { name }), writes)
 */
export const orgAuditEntry = <A extends AuditAction>(
  request: AuditedRequest,
  scope: OrgScope,
  action: A,
  target: AuditTarget,
  metadata: AuditMetadata<A>,
): AuditEntry<A> => ({ scope: AuditScopes.org(scope), actor: actorOf(request), action, target, metadata });

/**
 * An entry in a person's own chain. `userId` is the account the entry is about, and the actor when
 * the caller is not signed in (signup, login); the target is the account unless said otherwise.
 */
export const userAuditEntry = <A extends AuditAction>(
  request: AuditedRequest,
  userId: string,
  action: A,
  metadata: AuditMetadata<A>,
  options: { readonly target?: AuditTarget; readonly outcome?: AuditEntry['outcome'] } = {},
): AuditEntry<A> => ({
  scope: AuditScopes.user(userId),
  actor: actorOf(request, userId),
  action,
  target: options.target ?? { type: 'user', id: userId },
  ...(options.outcome ? { outcome: options.outcome } : {}),
  metadata,
});
