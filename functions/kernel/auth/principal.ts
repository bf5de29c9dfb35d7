import type { Role } from './permissions';

/**
 * Who is calling: established by the authentication step of the pipeline from the Authorization
 * header, before any route implementation runs.
 */
export type Principal =
  | {
      readonly type: 'user';
      readonly userId: string;
      /** The session the access token belongs to (revocable). */
      readonly sessionId: string;
    }
  | {
      readonly type: 'api_key';
      readonly keyId: string;
      /** The one organization the key acts in. */
      readonly orgId: string;
      /** The key's own role; the effective role is the lower of it and its creator's current role. */
      readonly role: Role;
      /** When present, the only projects the key may reach. */
      readonly projectIds?: readonly string[];
      /** The member who issued the key: the key lives only as long as their membership. */
      readonly createdBy: string;
      /** When a use of the key was last recorded (ISO), as read at authentication: spares the write within the minute. */
      readonly lastUsedAt?: string;
    };

/** The id an audit record or rate limit names the principal by. */
export const principalId = (principal: Principal): string => (principal.type === 'user' ? principal.userId : principal.keyId);
