/**
 * API Gateway's media-type matching for binaryMediaTypes: `type/subtype`,
 * `type/*` and `*\/*`, compared without parameters and case-insensitively.
 */
export function matchesMediaType(value: string | undefined, patterns: readonly string[]): boolean {
  if (value === undefined) return false;
  const mediaType = (value.split(';')[0] ?? '').trim().toLowerCase();
  const slash = mediaType.indexOf('/');
  if (slash <= 0) return false;
  const type = mediaType.slice(0, slash);
  return patterns.some((pattern) => {
    const wanted = pattern.trim().toLowerCase();
    if (wanted === '*/*') return true;
    if (wanted.endsWith('/*')) return wanted.slice(0, -2) === type;
    return wanted === mediaType;
  });
}

/** The first media type of an Accept header (API Gateway looks at no other). */
export function firstAcceptedType(accept: string | undefined): string | undefined {
  if (accept === undefined) return undefined;
  const first = accept.split(',')[0]?.trim();
  return first === undefined || first === '' ? undefined : first;
}
