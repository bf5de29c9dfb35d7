import type { AuditActor } from '../kernel/audit/record';
import type { AnyRouteContext } from '../kernel/http/api-handler';
import { ValidationError } from '../kernel/errors';
import { checkPasswordPolicy, PasswordRejectionMessages } from './passwords';

/** The audit actor of a request: the signed-in user, or an anonymous caller known by IP and agent. */
export function actorOf(ctx: Pick<AnyRouteContext, 'principal' | 'sourceIp' | 'userAgent'>, userId?: string): AuditActor {
  const client = { ip: ctx.sourceIp, ...(ctx.userAgent ? { userAgent: ctx.userAgent.slice(0, 512) } : {}) };
  if (ctx.principal?.type === 'user') return { type: 'user', id: ctx.principal.userId, ...client };
  if (userId) return { type: 'user', id: userId, ...client };
  return { type: 'system', id: 'anonymous', ...client };
}

export const clientOf = (ctx: Pick<AnyRouteContext, 'sourceIp' | 'userAgent'>) => ({ ip: ctx.sourceIp, userAgent: ctx.userAgent });

/** Refuses a password the policy rejects, as a 400 on the field it came in. */
export async function assertPasswordPolicy(password: string, field: string, email?: string): Promise<void> {
  const result = await checkPasswordPolicy(password, email === undefined ? {} : { email });
  if (!result.ok) throw new ValidationError(result.reasons.map((r) => ({ path: `body.${field}`, message: PasswordRejectionMessages[r] })));
}
