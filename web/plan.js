// @ts-check
/**
 * The page's decisions, kept free of the DOM so they run (and are tested)
 * in Node too: which files to accept, how many bytes each may take, whether
 * and how far to downscale, and how to tell a person what an error means.
 */
import {
  ACCEPTED_TYPES,
  MAX_FILE_BYTES,
  MAX_INPUT_PIXELS,
  PART_OVERHEAD_BYTES,
  REQUEST_BODY_BUDGET_BYTES,
  TYPE_ALIASES,
} from './limits.js';

/** @typedef {keyof typeof ACCEPTED_TYPES} AcceptedType */

/**
 * @typedef {{ accepted: true, type: AcceptedType, typeName: string }
 *   | { accepted: false, reason: string }} Classification
 */

const ACCEPTED_NAMES = Object.values(ACCEPTED_TYPES)
  .map((t) => t.name)
  .join(', ');

/** @param {string} name */
function extension(name) {
  const dot = name.lastIndexOf('.');
  return dot === -1 ? '' : name.slice(dot).toLowerCase();
}

/**
 * Whether a chosen file is worth sending, from its declared type (or its
 * extension when the browser declares none). The gateway sniffs the bytes
 * and has the last word; this only spares an upload that cannot succeed.
 * @param {{ name: string, type: string, size: number }} file
 * @returns {Classification}
 */
export function classifyFile(file) {
  const declared = file.type.toLowerCase();
  const ext = extension(file.name);
  if (file.size === 0) return { accepted: false, reason: `${file.name} is empty (0 bytes).` };
  const type = /** @type {Record<string, string>} */ (TYPE_ALIASES)[declared] ?? declared;
  for (const [accepted, info] of Object.entries(ACCEPTED_TYPES)) {
    const byExtension =
      (type === '' || type === 'application/octet-stream') &&
      /** @type {readonly string[]} */ (info.extensions).includes(ext);
    if (type === accepted || byExtension) {
      return { accepted: true, type: /** @type {AcceptedType} */ (accepted), typeName: info.name };
    }
  }
  const what = type === '' ? 'no declared type' : `type ${type}`;
  return {
    accepted: false,
    reason: `${file.name} is not an image the gateway accepts (${what}). Accepted: ${ACCEPTED_NAMES}.`,
  };
}

/**
 * Bytes each file may take so that the whole request fits the body budget,
 * by water-filling: files smaller than an equal share keep their size and
 * leave the rest to the larger ones. Never more than MAX_FILE_BYTES.
 * @param {readonly number[]} sizes
 * @param {number} [budget]
 * @returns {number[]}
 */
export function allowances(sizes, budget = REQUEST_BODY_BUDGET_BYTES) {
  const result = new Array(sizes.length).fill(0);
  let remaining = budget - sizes.length * PART_OVERHEAD_BYTES;
  let left = sizes.length;
  const order = sizes.map((size, index) => ({ size, index })).sort((a, b) => a.size - b.size);
  for (const { size, index } of order) {
    const share = Math.floor(Math.max(0, remaining) / left);
    const allowance = Math.min(share, MAX_FILE_BYTES);
    result[index] = allowance;
    remaining -= Math.min(size, allowance);
    left -= 1;
  }
  return result;
}

/**
 * @typedef {object} Downscale
 * @property {number} width target width in pixels
 * @property {number} height target height in pixels
 * @property {string} reason why, for the person reading the page
 */

/**
 * Whether an image must be downscaled before upload, and to what size: only
 * when the gateway would refuse it as it is (its file over its allowance,
 * its pixels over the gateway's limit). A file that fits is always sent
 * untouched: the model's reference pipeline resamples the original frame,
 * and a copy resized here would make the model answer about other pixels.
 * Returns null to send the file as it is.
 * @param {{ width: number, height: number, bytes: number }} image
 * @param {number} allowance bytes this file may take
 * @returns {Downscale | null}
 */
export function downscaleTarget(image, allowance) {
  const { width, height, bytes } = image;
  const pixels = width * height;
  /** @type {string[]} */
  const reasons = [];
  if (bytes > allowance) {
    reasons.push(`${formatBytes(bytes)} is over the ${formatBytes(allowance)} one upload allows`);
  }
  if (pixels > MAX_INPUT_PIXELS) {
    reasons.push(
      `${(pixels / 1e6).toFixed(1)} MP is over the gateway's ${MAX_INPUT_PIXELS / 1e6} MP limit`,
    );
  }
  if (reasons.length === 0) return null;
  // Re-encoded at the same size when only the bytes are over (smallerSize
  // shrinks further only if that is not enough); within the pixel limit otherwise.
  const scale = Math.min(1, Math.sqrt(MAX_INPUT_PIXELS / pixels));
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
    reason: reasons.join('; '),
  };
}

/**
 * The next, smaller size to try when an encoded downscale is still over the
 * allowance: JPEG bytes grow roughly with the pixel count, so aim the pixel
 * count at the allowance with a margin, and always shrink by at least 10%.
 * @param {{ width: number, height: number }} size
 * @param {number} bytes the encoded size that was too large
 * @param {number} allowance
 * @returns {{ width: number, height: number } | null} null when it cannot shrink further
 */
export function smallerSize(size, bytes, allowance) {
  const scale = Math.min(0.9, Math.sqrt((allowance * 0.9) / bytes));
  const width = Math.round(size.width * scale);
  const height = Math.round(size.height * scale);
  if (width < 16 || height < 16) return null;
  return { width, height };
}

/** @param {number} bytes */
export function formatBytes(bytes) {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(bytes < 10_000 ? 1 : 0)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** @param {number} score 0..1 */
export function formatScore(score) {
  return `${(score * 100).toFixed(1)}%`;
}

/**
 * The index of the upload a problem's `part` names (`image[2]` → 2).
 * @param {unknown} part
 * @returns {number | null}
 */
export function partIndex(part) {
  if (typeof part !== 'string') return null;
  const match = /^image\[(\d+)\]$/.exec(part);
  return match === null ? null : Number(match[1]);
}

/**
 * @typedef {object} ErrorView
 * @property {number} status
 * @property {string} title one line: what went wrong
 * @property {string} detail the server's words
 * @property {string} hint what to do about it
 * @property {string | null} code the problem's stable code
 * @property {string | null} requestId
 * @property {number | null} partIndex the upload at fault, when one is
 */

const STATUS_TITLES = /** @type {Record<number, string>} */ ({
  400: 'Bad request',
  403: 'Forbidden',
  404: 'Not found',
  413: 'Too large',
  415: 'Unsupported type',
  422: 'Image could not be decoded',
  429: 'Too many requests',
  500: 'Gateway error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
});

/**
 * @param {string | null} retryAfter the Retry-After header
 * @returns {string}
 */
function retryHint(retryAfter) {
  const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  return Number.isFinite(seconds) && seconds >= 0
    ? `Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`
    : 'Try again in a moment.';
}

/**
 * @param {number} status
 * @param {string | null} code
 * @param {string | null} retryAfter
 * @param {string} stage
 */
function hintFor(status, code, retryAfter, stage) {
  switch (code) {
    case 'INVALID_API_KEY':
      return `Check the API key: it is missing, wrong, or not in a usage plan of stage “${stage}”.`;
    case 'MISSING_AUTHENTICATION_TOKEN':
      return 'No such route: check the API base URL and the stage.';
    case 'THROTTLED':
      return `Requests are coming faster than this key or stage allows. ${retryHint(retryAfter)}`;
    case 'QUOTA_EXCEEDED':
      return "This key has used its quota for the period; ask for a larger quota or wait for the period's end.";
    case 'ENDPOINT_UNAVAILABLE':
      return `The model is busy or not ready. ${retryHint(retryAfter)}`;
    case 'ENDPOINT_TIMEOUT':
      return 'The model did not answer in time. Try again, or with fewer images at once.';
    default:
  }
  if (status === 413) return 'Send a smaller image, or fewer images at once.';
  if (status === 415) return `Send ${ACCEPTED_NAMES.replace(/, ([^,]*)$/, ' or $1')}.`;
  if (status === 422) return 'The file is corrupt or truncated: export the image again.';
  if (status === 429) return retryHint(retryAfter);
  if (status >= 500) {
    return 'The gateway or the model failed; this is not your image. Quote the request id when you report it.';
  }
  return 'Check the request and try again.';
}

/**
 * Turns an error answer into words: the project's problem+json when the
 * body is one, API Gateway's own `{"message": ...}` or plain text otherwise.
 * @param {{ status: number, contentType: string | null, body: string, retryAfter: string | null, requestId: string | null, stage: string }} answer
 * @returns {ErrorView}
 */
export function describeError(answer) {
  const { status, body, retryAfter, stage } = answer;
  /** @type {Record<string, unknown>} */
  let json = {};
  if (/json/i.test(answer.contentType ?? '')) {
    try {
      const parsed = JSON.parse(body);
      if (parsed !== null && typeof parsed === 'object') json = parsed;
    } catch {
      // not JSON after all: shown as text below
    }
  }
  const text = (/** @type {unknown} */ value) =>
    typeof value === 'string' && value !== '' ? value : null;
  const code = text(json.code);
  const fallbackTitle =
    STATUS_TITLES[status] ?? (status >= 500 ? 'Server error' : 'Request failed');
  return {
    status,
    title: text(json.title) ?? fallbackTitle,
    detail: text(json.detail) ?? text(json.message) ?? (body.trim().slice(0, 500) || fallbackTitle),
    hint: hintFor(status, code, retryAfter, stage),
    code,
    requestId: text(json.requestId) ?? answer.requestId,
    partIndex: partIndex(json.part),
  };
}

/**
 * Words for an upload that got no HTTP answer at all. A browser hides the
 * reason; the usual ones are a wrong URL, a server that is down, or an API
 * on another origin whose CORS does not allow this page.
 * @param {string} url
 * @param {string} pageOrigin
 */
export function describeNetworkFailure(url, pageOrigin) {
  let sameOrigin = false;
  try {
    sameOrigin = new URL(url).origin === pageOrigin;
  } catch {
    return `“${url}” is not a valid URL.`;
  }
  return sameOrigin
    ? `No answer from ${url}: is the gateway running?`
    : `No answer from ${url}: check the URL, and that the API's CORS allows this page's origin (${pageOrigin}).`;
}

/**
 * The predict URL for a base URL and a stage. The base URL may be a
 * deployed stage URL already (…/dev/); the stage is then not repeated.
 * With `partial`, `?partial=true`: each image gets its own result or problem.
 * @param {string} base
 * @param {string} stage
 * @param {{ partial?: boolean }} [options]
 */
export function predictUrl(base, stage, options = {}) {
  const trimmed = base.trim().replace(/\/+$/, '');
  const cleanStage = stage.trim().replace(/^\/+|\/+$/g, '');
  const query = options.partial === true ? '?partial=true' : '';
  if (cleanStage === '' || trimmed.endsWith(`/${cleanStage}`)) return `${trimmed}/predict${query}`;
  return `${trimmed}/${encodeURIComponent(cleanStage)}/predict${query}`;
}

/**
 * Words for one image's problem in a partial answer, for its card.
 * @param {{ type?: unknown, status?: unknown, title?: unknown, detail?: unknown, code?: unknown, part?: unknown }} problem
 * @param {string} stage
 * @returns {{ title: string, detail: string, hint: string, code: string | null }}
 */
export function describeImageProblem(problem, stage) {
  const status = typeof problem.status === 'number' ? problem.status : 400;
  const view = describeError({
    status,
    contentType: 'application/problem+json',
    body: JSON.stringify(problem),
    retryAfter: null,
    requestId: null,
    stage,
  });
  return { title: view.title, detail: view.detail, hint: view.hint, code: view.code };
}
