import type { AnyRouteContext } from '../kernel/http/implementation';
import { ValidationError } from '../kernel/errors';
import { checkPasswordPolicy, PasswordRejectionMessages } from './passwords';

export { actorOf } from '../kernel/audit/entries';

export const clientOf = (ctx: Pick<AnyRouteContext, 'sourceIp' | 'userAgent'>) => ({ ip: ctx.sourceIp, userAgent: ctx.userAgent });

/** Refuses a password the policy rejects, as a 400 on the field it came in. */
export async function assertPasswordPolicy(password: string, field: string, email?: string): Promise<void> {
  const result = await checkPasswordPolicy(password, email === undefined ? {} : { email });
  if (!result.ok) throw new ValidationError(result.reasons.map((r) => ({ path: `body.${field}`, message: PasswordRejectionMessages[r] })));
}
