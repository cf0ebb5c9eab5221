import { GatewayError } from './errors.ts';

// RFC 2046 bcharsnospace; a space is allowed inside, never last.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/**
 * The boundary of a `multipart/form-data` Content-Type. Parsed here rather
 * than by busboy because busboy (and middy) reject bare boundaries holding
 * RFC 2046 characters that are not HTTP token characters (`/ : = ? ( ) ,`),
 * which real clients send. Other parameters such as `charset` are ignored.
 */
export function multipartBoundary(contentType: string | undefined): string {
  if (contentType === undefined || contentType.trim() === '') {
    throw new GatewayError(
      'UNSUPPORTED_CONTENT_TYPE',
      'The request has no Content-Type; send multipart/form-data.',
    );
  }
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon))
    .trim()
    .toLowerCase();
  if (mediaType !== 'multipart/form-data') {
    throw new GatewayError(
      'UNSUPPORTED_CONTENT_TYPE',
      // With no media type before the parameters, what was sent says more.
      `The request Content-Type is ${JSON.stringify(mediaType || contentType.trim().slice(0, 100))}; send multipart/form-data.`,
    );
  }
  const boundary = semicolon === -1 ? undefined : findBoundary(contentType.slice(semicolon + 1));
  if (boundary === undefined) {
    throw new GatewayError('MALFORMED_MULTIPART', 'The Content-Type has no boundary parameter.');
  }
  if (!BOUNDARY.test(boundary)) {
    throw new GatewayError(
      'MALFORMED_MULTIPART',
      'The multipart boundary is not valid: RFC 2046 allows 1 to 70 characters of ' +
        "A-Z a-z 0-9 '()+_,-./:=? and inner spaces.",
    );
  }
  return boundary;
}

/** Walks `;`-separated parameters, honouring quoted strings with backslash escapes. */
function findBoundary(params: string): string | undefined {
  let i = 0;
  while (i < params.length) {
    while (i < params.length && (params[i] === ' ' || params[i] === '\t' || params[i] === ';')) {
      i++;
    }
    const eq = params.indexOf('=', i);
    if (eq === -1) return undefined;
    const name = params.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    let value: string;
    if (params[i] === '"') {
      value = '';
      i++;
      while (i < params.length && params[i] !== '"') {
        if (params[i] === '\\' && i + 1 < params.length) i++;
        value += params[i];
        i++;
      }
      if (i >= params.length) return undefined; // unterminated quoted string
      i++;
      const next = params.indexOf(';', i);
      i = next === -1 ? params.length : next;
    } else {
      const next = params.indexOf(';', i);
      const end = next === -1 ? params.length : next;
      value = params.slice(i, end).trim();
      i = end;
    }
    if (name === 'boundary') return value;
  }
  return undefined;
}
