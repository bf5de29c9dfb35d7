import { z } from 'zod';

/**
 * The policy a new password must meet (signup, change and reset alike), apart from hashing so that
 * what declares and checks passwords does not load argon2's native module.
 *
 * Every password is normalised to NFC before it is counted or compared: the same password typed on
 * two keyboards (a composed `é` or `e` + combining accent) is one password.
 */

/** Lengths in Unicode code points of the NFC form (NIST SP 800-63B: each code point counts as one). */
export const PasswordLength = { min: 12, max: 256 } as const;

export const PasswordRejections = ['too_short', 'too_long', 'too_common', 'contains_email'] as const;
export type PasswordRejection = (typeof PasswordRejections)[number];

/** Client-facing text per rejection, for the route's per-field 400 (`body.password`, `body.newPassword`). */
export const PasswordRejectionMessages: Readonly<Record<PasswordRejection, string>> = {
  too_short: `The password must be at least ${PasswordLength.min} characters long.`,
  too_long: `The password must be at most ${PasswordLength.max} characters long.`,
  too_common: 'The password is on a list of commonly used passwords; choose another.',
  contains_email: 'The password must not contain your email address.',
};

export type PasswordPolicyResult = { readonly ok: true } | { readonly ok: false; readonly reasons: readonly PasswordRejection[] };

/**
 * Local parts shorter than this are not looked for: `al@…` would refuse every password that
 * contains "al", and a 12-character password built around a 3-letter name is not the weakness
 * this rule is about.
 */
const MIN_EMAIL_LOCAL_PART = 4;

let commonPasswords: Promise<ReadonlySet<string>> | undefined;

/**
 * The ~49,000 common passwords of @zxcvbn-ts/language-common, lower-cased, loaded on first use:
 * decompressing the list costs about 50 ms, which logins (the hot path of the identity function)
 * should not pay at cold start. A dynamic import stays lazy in the esbuild bundle too.
 */
function loadCommonPasswords(): Promise<ReadonlySet<string>> {
  commonPasswords ??= import('@zxcvbn-ts/language-common').then(
    ({ dictionary }) => new Set(dictionary['passwords-common'].map((p) => p.normalize('NFC').toLowerCase())),
    (error: unknown) => {
      commonPasswords = undefined; // a failed load is retried, not cached
      throw error;
    },
  );
  return commonPasswords;
}

const codePoints = (value: string): number => {
  let count = 0;
  for (const _ of value) count++;
  return count;
};

/**
 * Checks a new password (registration, change, reset) against the policy and returns every rule it
 * breaks, so the client can show them all at once.
 *
 * @example
 * const result = await checkPasswordPolicy(body.password, { email: body.email });
 * if (!result.ok) throw new ValidationError(result.reasons.map((r) => ({ path: 'body.password', message: PasswordRejectionMessages[r] })));
 */
export async function checkPasswordPolicy(password: string, account: { readonly email?: string } = {}): Promise<PasswordPolicyResult> {
  const normalised = password.normalize('NFC');
  const length = codePoints(normalised);
  // An over-long value is not looked at further: the limit exists to bound the work done on it.
  if (length > PasswordLength.max) return { ok: false, reasons: ['too_long'] };

  const reasons: PasswordRejection[] = [];
  if (length < PasswordLength.min) reasons.push('too_short');
  const folded = normalised.toLowerCase();
  if ((await loadCommonPasswords()).has(folded)) reasons.push('too_common');
  if (account.email !== undefined && containsEmail(normalised, account.email)) reasons.push('contains_email');
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/** Whether the password contains the address's local part (in any case), the one rule that needs the account. */
export function containsEmail(password: string, email: string): boolean {
  const localPart = emailLocalPart(email);
  return localPart !== undefined && password.normalize('NFC').toLowerCase().includes(localPart);
}

/**
 * A new password as a request carries it (signup, change, reset): bounded first (a value over
 * 1024 characters never reaches the policy or argon2), then checked against every rule that does
 * not need the account, so that its problems are reported with the request's other field errors.
 * The address rule (`containsEmail`) is checked where the address is known: by the signup body
 * itself, after the account is found for a change or a reset.
 */
export const NewPassword = z
  .string()
  .min(1)
  .max(1024)
  .superRefine(async (password, ctx) => {
    const result = await checkPasswordPolicy(password);
    if (!result.ok) for (const reason of result.reasons) ctx.addIssue({ code: 'custom', message: PasswordRejectionMessages[reason] });
  });

/** The issue of a password that contains the account's address, for `field` (e.g. `password`). */
export const containsEmailIssue = (field: string) => ({ path: `body.${field}`, message: PasswordRejectionMessages.contains_email });

function emailLocalPart(email: string | undefined): string | undefined {
  if (email === undefined) return undefined;
  const at = email.lastIndexOf('@');
  const localPart = (at < 0 ? email : email.slice(0, at)).trim().normalize('NFC').toLowerCase();
  return codePoints(localPart) >= MIN_EMAIL_LOCAL_PART ? localPart : undefined;
}
