
import { MalformedJsonError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';
import { header, type ApiMiddleware, type ApiRequest } from './types';

const defaults = {
  /** Far below API Gateway's 10 MB: nothing in this API needs more, and parsing is bounded. */
  maxBytes: 64 * 1024,
} as const;

const JSON_MEDIA_TYPE = /^application\/json\s*(?:;\s*charset=utf-8\s*)?$/i;

/**
 * Accepts JSON bodies only: 413 over the size limit (checked before anything is parsed), 415 for
 * another media type, 400 for malformed JSON. The parsed value goes to `request.internal.json`.
 */
export const jsonBody = (opts: Partial<typeof defaults> = {}): ApiMiddleware => {
  const o = { ...defaults, ...opts };
  const before = (request: ApiRequest) => {
    const { body, isBase64Encoded } = request.event;
    if (body === null || body === undefined || body === '') return;
    const raw = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
    if (raw.byteLength > o.maxBytes) throw new PayloadTooLargeError(o.maxBytes);
    if (!JSON_MEDIA_TYPE.test(header(request.event, 'content-type') ?? '')) throw new UnsupportedMediaTypeError();
    try {
      request.internal.json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
    } catch {
      throw new MalformedJsonError();
    }
  };
  return { before };
};
