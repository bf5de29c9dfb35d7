import type { AnyRouteContext } from '../http/api-handler';
import type { AuditActor } from './record';

/** The audit actor of a request: the principal, or an anonymous caller known by IP and agent. */
export function actorOf(ctx: Pick<AnyRouteContext, 'principal' | 'sourceIp' | 'userAgent'>, userId?: string): AuditActor {
  const client = { ip: ctx.sourceIp, ...(ctx.userAgent ? { userAgent: ctx.userAgent.slice(0, 512) } : {}) };
  if (ctx.principal?.type === 'user') return { type: 'user', id: ctx.principal.userId, ...client };
  if (ctx.principal?.type === 'api_key') return { type: 'api_key', id: ctx.principal.keyId, ...client };
  if (userId) return { type: 'user', id: userId, ...client };
  return { type: 'system', id: 'anonymous', ...client };
}
