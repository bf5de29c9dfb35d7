
import { setHeaders, type ApiMiddleware, type ApiRequest } from './types';

/** An API serves JSON only: nothing may be framed, sniffed, cached, scripted or referred. */
const defaults = {
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Permissions-Policy':
    'accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()',
  'Cache-Control': 'no-store',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

export const SECURITY_HEADERS: Readonly<Record<string, string>> = defaults;

/** Adds the security headers to every response, errors included. */
export const securityHeaders = (opts: Partial<Record<keyof typeof defaults, string>> = {}): ApiMiddleware => {
  const headers = { ...defaults, ...opts };
  const apply = (request: ApiRequest) => setHeaders(request, headers);
  return { after: apply, onError: apply };
};
