/**
 * The redaction layer every log line passes through (secrets and PII). It works on the final JSON (as a replacer), so
 * it holds whatever shape a caller hands the logger: nested objects, arrays, errors, appended keys.
 * Two nets: keys whose name marks a secret lose their value whole; every string is scrubbed of
 * token-shaped substrings in case a secret hides inside a message or an error.
 */

export const REDACTED = '[REDACTED]';

// Compared after lower-casing and removing '-' and '_', so `X-Api-Key`, `api_key` and `apiKey` match.
const SENSITIVE_KEY_FRAGMENTS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'authorization',
  'cookie',
  'apikey',
  'privatekey',
  'credential',
  'plaintext',
  'sessionid',
  'otp',
  'mfacode',
  'recoverycode',
  'signature',
  // PII: never in logs.
  'email',
  'phone',
] as const;

// Keys whose value is a secret by our domain's conventions: env-var values, raw request bodies
// (which may carry a password before validation) and key material.
const SENSITIVE_EXACT_KEYS = new Set(['value', 'values', 'envvalue', 'body', 'rawbody', 'key', 'datakey', 'pwd']);

const normalise = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');

export function isSensitiveKey(key: string): boolean {
  const k = normalise(key);
  return SENSITIVE_EXACT_KEYS.has(k) || SENSITIVE_KEY_FRAGMENTS.some((f) => k.includes(f));
}

const TOKEN_PATTERNS: readonly RegExp[] = [
  // JWS / JWT compact serialisation.
  /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
  // Authorization schemes with their credential.
  /\b(?:Bearer|Basic|Digest)\s+[A-Za-z0-9._~+/=-]+/gi,
  // Rampart API keys and GitHub tokens.
  /\brmp_[A-Za-z0-9_-]{8,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  // AWS access key ids.
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  // Email addresses (PII).
  /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g,
  // PEM blocks (private keys).
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

// `password=…`, `token: …`, `password is …` and JSON `"secret":"…"` in free text: keep the key, drop the value.
const KEY_VALUE_PATTERN =
  /("?[A-Za-z_-]*(?:password|passwd|secret|token|api[_-]?key|authorization|cookie)"?(?:\s*[:=]\s*|\s+(?:is|was|of)\s+))("[^"]*"|[^\s,;&}]+)/gi;

/** Replaces every secret-looking substring of a free-text string. */
export function scrubString(text: string): string {
  let out = text.replace(KEY_VALUE_PATTERN, (_match, prefix: string) => `${prefix}${REDACTED}`);
  for (const pattern of TOKEN_PATTERNS) out = out.replace(pattern, REDACTED);
  return out;
}

/** A JSON.stringify replacer: use wherever structured data leaves the process as text. */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && isSensitiveKey(key) && value !== null && value !== undefined && value !== '') {
    return REDACTED;
  }
  if (typeof value === 'string') return scrubString(value);
  return value;
}
