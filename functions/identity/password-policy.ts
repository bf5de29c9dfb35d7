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

/** Client-facing text per rejection, for the route's per-field 400 (`body.password`). */
export const PasswordRejectionMessages: Readonly<Record<PasswordRejection, string>> = {
  too_short: `Use at least ${PasswordLength.min} characters.`,
  too_long: `Use at most ${PasswordLength.max} characters.`,
  too_common: 'This password is on a list of commonly used passwords; choose another.',
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
  const localPart = emailLocalPart(account.email);
  if (localPart !== undefined && folded.includes(localPart)) reasons.push('contains_email');
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

function emailLocalPart(email: string | undefined): string | undefined {
  if (email === undefined) return undefined;
  const at = email.lastIndexOf('@');
  const localPart = (at < 0 ? email : email.slice(0, at)).trim().normalize('NFC').toLowerCase();
  return codePoints(localPart) >= MIN_EMAIL_LOCAL_PART ? localPart : undefined;
}
