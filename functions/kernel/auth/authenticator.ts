import type { Principal } from './principal';

/** What the authentication step sees of a request. */
export interface Credentials {
  /** The raw `Authorization` header, if any. */
  readonly authorization: string | undefined;
}

/**
 * Turns credentials into a principal, or throws `UnauthenticatedError` (401). Installed on the
 * platform so that every domain's pipeline authenticates the same way.
 */
export type Authenticator = (credentials: Credentials) => Promise<Principal>;
