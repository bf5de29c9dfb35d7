import { z } from 'zod';

/**
 * Email addresses: trimmed, domain lower-cased, validated. The local part keeps its case for
 * delivery, but accounts are unique case-insensitively (`Bob@x.com` and `bob@x.com` are one
 * account), so two people cannot hold look-alike accounts.
 */
export const EmailAddress = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'Enter a valid email address.' }))
  .transform(normaliseEmail);

export function normaliseEmail(raw: string): string {
  const trimmed = raw.trim();
  const at = trimmed.lastIndexOf('@');
  return `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}
