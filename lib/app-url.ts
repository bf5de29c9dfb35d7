/** The CDK context key of the web app's public URL: `cdk deploy -c appUrl=https://app.example.org`. */
export const APP_URL_CONTEXT = 'appUrl';

/** Used when the context does not set it, so that synth and tests work offline. */
export const DEFAULT_APP_URL = 'https://app.example.com';

/**
 * Checks the URL the links in Rampart's mail start with (`RAMPART_APP_URL`): https, an origin with
 * an optional path, no trailing slash (links append `/verify-email?token=…`), no query, fragment or
 * credentials. A bad one stops the synth, rather than mailing links that do not work.
 */
export function assertAppUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`Invalid ${APP_URL_CONTEXT} "${value}": not a URL`);
  }
  const plain = url.protocol === 'https:' && !url.username && !url.password && !url.search && !url.hash && !value.includes('?') && !value.includes('#');
  if (!plain || value.endsWith('/') || `${url.origin}${url.pathname === '/' ? '' : url.pathname}` !== value) {
    throw new Error(`Invalid ${APP_URL_CONTEXT} "${value}": use an https URL without a trailing slash, query or fragment, e.g. ${DEFAULT_APP_URL}`);
  }
  return value;
}
