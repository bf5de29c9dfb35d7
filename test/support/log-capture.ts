import { vi } from 'vitest';

/**
 * Turns every log level on and keeps everything written to stdout and stderr, so a test can look
 * for secrets in it. Call before the first request: loggers read the level when the handler module
 * loads, which the gateway does on first use. `release()` restores the streams and the level.
 */
export function captureLogs(): { readonly output: string[]; release(): void } {
  const output: string[] = [];
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  const capture = (chunk: string | Uint8Array) => (output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')), true);
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  return {
    output,
    release: () => {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    },
  };
}
