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
      readonly orgId: string;
    };

/** The id an audit record or rate limit names the principal by. */
export const principalId = (principal: Principal): string => (principal.type === 'user' ? principal.userId : principal.keyId);
