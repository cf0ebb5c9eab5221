// @ts-check
/**
 * The upload page: choose or drop images, shrink what the gateway could not
 * take, upload them in one multipart request with progress and cancel, and
 * show the model's labels or the gateway's error in words. The decisions
 * live in plan.js; this file only touches the DOM, the canvas and the network.
 */
import {
  API_KEY_STORAGE_KEY,
  DOWNSCALE_JPEG_QUALITY,
  IMAGE_FIELD,
  MAX_FILES,
  SETTINGS_STORAGE_KEY,
} from './limits.js';
import {
  allowances,
  classifyFile,
  describeError,
  describeImageProblem,
  describeNetworkFailure,
  downscaleTarget,
  formatBytes,
  formatScore,
  predictUrl,
  smallerSize,
} from './plan.js';
import { authorizationHeader, setUpTokenField } from './token.js';

/**
 * @typedef {object} Item one chosen image
 * @property {number} id
 * @property {File} file what the person chose
 * @property {string} typeName its format, from its declared type
 * @property {ImageBitmap | null} bitmap decoded, EXIF orientation applied; null when this browser cannot decode it
 * @property {Blob} upload what will be sent: the file, or its downscaled JPEG
 * @property {string} uploadName the file name sent with it
 * @property {string} note how it will be sent, in words
 * @property {string | null} problem why it cannot be sent, when it cannot
 * @property {number} allowance the bytes it was planned against
 * @property {HTMLLIElement} card
 */

/** @template {HTMLElement} T @param {string} id @returns {T} */
function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return /** @type {T} */ (element);
}

const baseUrlInput = /** @type {HTMLInputElement} */ (byId('base-url'));
const stageInput = /** @type {HTMLInputElement} */ (byId('stage'));
const keyInput = /** @type {HTMLInputElement} */ (byId('api-key'));
const toggleKey = /** @type {HTMLButtonElement} */ (byId('toggle-key'));
const dropZone = byId('drop-zone');
const fileInput = /** @type {HTMLInputElement} */ (byId('file-input'));
const fileHelp = byId('file-help');
const fileMessages = byId('file-messages');
const fileList = /** @type {HTMLUListElement} */ (byId('file-list'));
const uploadButton = /** @type {HTMLButtonElement} */ (byId('upload'));
const cancelButton = /** @type {HTMLButtonElement} */ (byId('cancel'));
const clearButton = /** @type {HTMLButtonElement} */ (byId('clear'));
const progress = /** @type {HTMLProgressElement} */ (byId('progress'));
const progressText = byId('progress-text');
const resultsSection = byId('results-section');
const resultsHeading = byId('results-heading');
const errorBox = byId('error');
const requestInfo = byId('request-info');
const summary = byId('summary');

/** @type {Item[]} */
let items = [];
let nextId = 1;
/** @type {XMLHttpRequest | null} */
let inFlight = null;
/** Preparation runs whenever the set of images changes; uploads wait for the latest. */
let preparing = Promise.resolve();

// ---- settings: base URL and stage in localStorage, the key in this tab's sessionStorage only

function loadSettings() {
  /** @type {{ baseUrl?: string, stage?: string }} */
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(SETTINGS_STORAGE_KEY) ?? '{}');
  } catch {
    // a corrupt entry: start from the defaults
  }
  const here = location.protocol.startsWith('http') ? location.origin : '';
  baseUrlInput.value = saved.baseUrl ?? here;
  stageInput.value = saved.stage ?? 'dev';
  keyInput.value = sessionStorage.getItem(API_KEY_STORAGE_KEY) ?? '';
}

function saveSettings() {
  localStorage.setItem(
    SETTINGS_STORAGE_KEY,
    JSON.stringify({ baseUrl: baseUrlInput.value.trim(), stage: stageInput.value.trim() }),
  );
  sessionStorage.setItem(API_KEY_STORAGE_KEY, keyInput.value.trim());
}

// ---- choosing images

/** @param {string} text */
function fileMessage(text) {
  const p = document.createElement('p');
  p.textContent = text;
  fileMessages.append(p);
}

/** @param {Iterable<File>} files */
async function addFiles(files) {
  fileMessages.replaceChildren();
  for (const file of files) {
    const verdict = classifyFile(file);
    if (!verdict.accepted) {
      fileMessage(verdict.reason);
      continue;
    }
    if (items.length >= MAX_FILES) {
      fileMessage(`${file.name} was not added: one upload takes at most ${MAX_FILES} images.`);
      continue;
    }
    let bitmap = null;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      // TIFF, or a damaged file: sent as it is, and the gateway says what is wrong with it
    }
    const card = document.createElement('li');
    card.className = 'card';
    items.push({
      id: nextId++,
      file,
      typeName: verdict.typeName,
      bitmap,
      upload: file,
      uploadName: file.name,
      note: '',
      problem: null,
      allowance: -1,
      card,
    });
    fileList.append(card);
  }
  await plan();
}

/** @param {Item} item */
function removeItem(item) {
  item.bitmap?.close();
  items = items.filter((other) => other !== item);
  item.card.remove();
  void plan();
}

// ---- downscaling: canvas, JPEG, flattened on white as the gateway would

/**
 * @param {ImageBitmap} bitmap
 * @param {{ width: number, height: number }} size
 * @returns {Promise<Blob>}
 */
function encodeJpeg(bitmap, size) {
  const canvas = document.createElement('canvas');
  canvas.width = size.width;
  canvas.height = size.height;
  const context = canvas.getContext('2d');
  if (context === null) return Promise.reject(new Error('no 2D canvas in this browser'));
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, size.width, size.height);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, size.width, size.height);
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) =>
        blob === null ? reject(new Error('the canvas could not encode JPEG')) : resolve(blob),
      'image/jpeg',
      DOWNSCALE_JPEG_QUALITY,
    ),
  );
}

/** @param {string} name */
function jpegName(name) {
  const dot = name.lastIndexOf('.');
  return `${dot > 0 ? name.slice(0, dot) : name}.jpg`;
}

/**
 * Decides, and makes, what each image will be sent as, against its share of
 * the request budget. Runs again whenever images are added or removed.
 */
function plan() {
  const run = async () => {
    const shares = allowances(items.map((item) => item.file.size));
    for (const [index, item] of items.entries()) {
      const allowance = shares[index] ?? 0;
      if (item.allowance !== allowance) {
        item.allowance = allowance;
        try {
          await prepare(item);
        } catch (error) {
          // A canvas that cannot encode (out of memory, say): this image only is refused.
          item.problem = `${item.file.name} could not be prepared for upload: ${error instanceof Error ? error.message : String(error)}.`;
        }
      }
      renderCard(item);
    }
  };
  preparing = preparing.then(run, run);
  refreshButtons();
  return preparing.finally(refreshButtons);
}

/** @param {Item} item */
async function prepare(item) {
  const { file, bitmap, allowance } = item;
  item.upload = file;
  item.uploadName = file.name;
  item.problem = null;
  if (bitmap === null) {
    item.note =
      item.typeName === 'HEIC'
        ? `HEIC, ${formatBytes(file.size)}, sent as it is: this browser cannot show it, the gateway decodes it.`
        : `${formatBytes(file.size)}, sent as it is (this browser cannot decode it to preview or shrink it).`;
    if (file.size > allowance) {
      item.problem = `${file.name} is ${formatBytes(file.size)}, over the ${formatBytes(allowance)} this upload allows, and this browser cannot decode ${item.typeName} to shrink it. Convert it to JPEG first.`;
    }
    return;
  }
  const original = `${bitmap.width}×${bitmap.height} px, ${formatBytes(file.size)}`;
  const target = downscaleTarget(
    { width: bitmap.width, height: bitmap.height, bytes: file.size },
    allowance,
  );
  if (target === null) {
    item.note = `${original}, sent as it is.`;
    return;
  }
  /** @type {{ width: number, height: number } | null} */
  let size = { width: target.width, height: target.height };
  let blob = await encodeJpeg(bitmap, size);
  while (blob.size > allowance && size !== null) {
    size = smallerSize(size, blob.size, allowance);
    if (size !== null) blob = await encodeJpeg(bitmap, size);
  }
  if (blob.size > allowance || size === null) {
    item.problem = `${file.name} could not be shrunk below ${formatBytes(allowance)}.`;
    return;
  }
  item.upload = blob;
  item.uploadName = jpegName(file.name);
  // Over the byte allowance alone, a photo may fit as JPEG at its own size.
  const sameSize = size.width === bitmap.width && size.height === bitmap.height;
  const made = sameSize
    ? 're-encoded here as'
    : `downscaled here to ${size.width}×${size.height} px`;
  item.note = `${original}, ${made} JPEG, ${formatBytes(blob.size)} (${target.reason}).`;
}

// ---- rendering

/**
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className !== undefined) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {Item} item */
function renderCard(item) {
  const { card } = item;
  card.replaceChildren();
  card.dataset.state = item.problem === null ? 'ready' : 'refused';
  if (item.bitmap !== null) {
    const image = /** @type {HTMLImageElement} */ (element('img', 'thumbnail'));
    image.alt = `Preview of ${item.file.name}`;
    image.src = URL.createObjectURL(item.upload);
    image.onload = () => URL.revokeObjectURL(image.src);
    card.append(image);
  } else {
    card.append(element('div', 'thumbnail none', 'No preview'));
  }
  const body = element('div', 'card-body');
  body.append(element('h3', 'file-name', item.file.name), element('p', 'note', item.note));
  if (item.problem !== null) body.append(element('p', 'problem', item.problem));
  body.append(element('div', 'outcome'));
  const remove = /** @type {HTMLButtonElement} */ (element('button', 'remove', 'Remove'));
  remove.type = 'button';
  remove.setAttribute('aria-label', `Remove ${item.file.name}`);
  remove.addEventListener('click', () => removeItem(item));
  card.append(body, remove);
}

/** @param {Item} item */
function outcomeOf(item) {
  return /** @type {HTMLElement} */ (item.card.querySelector('.outcome'));
}

/**
 * @param {Item} item
 * @param {import('../shared/contract.ts').ImageResult} result
 */
function renderResult(item, result) {
  const outcome = outcomeOf(item);
  outcome.replaceChildren();
  item.card.dataset.state = 'done';
  const predictions = result.predictions ?? [];
  if (predictions.length > 0) {
    const top = /** @type {import('../shared/contract.ts').Prediction} */ (predictions[0]);
    const topLine = element('p', 'top-label');
    topLine.append(
      'Top label: ',
      element('strong', 'label', top.label),
      ` ${formatScore(top.score)}`,
    );
    const list = element('ul', 'scores');
    list.setAttribute('aria-label', `Scores for ${item.file.name}`);
    for (const prediction of predictions) {
      const row = element('li', 'score');
      const id = `score-${item.id}-${prediction.label.replace(/\W+/g, '-')}`;
      const label = /** @type {HTMLLabelElement} */ (
        element('label', 'score-label', prediction.label)
      );
      label.htmlFor = id;
      const meter = /** @type {HTMLMeterElement} */ (element('meter'));
      meter.id = id;
      meter.min = 0;
      meter.max = 1;
      meter.value = prediction.score;
      row.append(label, meter, element('span', 'score-value', formatScore(prediction.score)));
      list.append(row);
    }
    outcome.append(topLine, list);
  } else {
    outcome.append(element('p', 'note', 'The model answered (not as a classifier):'));
    outcome.append(element('pre', 'output', JSON.stringify(result.output ?? null, null, 2)));
  }
}

/**
 * @param {Array<[string, string]>} rows
 */
function renderRequestInfo(rows) {
  requestInfo.replaceChildren();
  for (const [term, value] of rows) {
    requestInfo.append(element('dt', undefined, term), element('dd', undefined, value));
  }
  requestInfo.hidden = rows.length === 0;
}

/** @param {import('./plan.js').ErrorView} view */
function renderError(view) {
  errorBox.replaceChildren(
    element('h3', 'error-title', `${view.status} ${view.title}`),
    element('p', 'error-detail', view.detail),
    element('p', 'error-hint', view.hint),
  );
  const facts = [view.code && `code ${view.code}`, view.requestId && `request id ${view.requestId}`]
    .filter(Boolean)
    .join(' · ');
  if (facts !== '') errorBox.append(element('p', 'error-facts', facts));
  errorBox.hidden = false;
}

/** @param {string} title @param {string} detail */
function renderLocalError(title, detail) {
  errorBox.replaceChildren(
    element('h3', 'error-title', title),
    element('p', 'error-detail', detail),
  );
  errorBox.hidden = false;
}

function showResults() {
  resultsSection.hidden = false;
  resultsHeading.focus();
}

function refreshButtons() {
  const busy = inFlight !== null;
  uploadButton.disabled = busy || items.length === 0;
  cancelButton.disabled = !busy;
  clearButton.disabled = busy || items.length === 0;
  fileInput.disabled = busy;
}

/** @param {number} percent @param {string} text */
function setProgress(percent, text) {
  progress.value = percent;
  progressText.textContent = text;
}

// ---- uploading

async function upload() {
  saveSettings();
  errorBox.hidden = true;
  summary.replaceChildren();
  renderRequestInfo([]);
  resultsSection.hidden = true;
  for (const item of items) outcomeOf(item).replaceChildren();
  if (!baseUrlInput.checkValidity() || stageInput.value.trim() === '') {
    showResults();
    renderLocalError(
      'Connection settings missing',
      'Enter the API base URL (http:// or https://) and the stage.',
    );
    return;
  }
  uploadButton.disabled = true;
  setProgress(0, 'Preparing images…');
  await preparing;
  const refused = items.filter((item) => item.problem !== null);
  if (refused.length > 0) {
    showResults();
    renderLocalError(
      'Some images cannot be sent',
      `${refused.map((item) => item.problem).join(' ')} Remove them to upload the rest.`,
    );
    setProgress(0, '');
    refreshButtons();
    return;
  }
  const sent = [...items];
  const form = new FormData();
  for (const item of sent) form.append(IMAGE_FIELD, item.upload, item.uploadName);
  // Partial mode: one bad image does not cost the others their results.
  const url = predictUrl(baseUrlInput.value, stageInput.value, { partial: true });
  const stage = stageInput.value.trim();
  const started = performance.now();

  const xhr = new XMLHttpRequest();
  inFlight = xhr;
  refreshButtons();
  xhr.open('POST', url);
  const key = keyInput.value.trim();
  if (key !== '') xhr.setRequestHeader('x-api-key', key);
  const authorization = authorizationHeader();
  if (authorization !== undefined) xhr.setRequestHeader('Authorization', authorization);
  xhr.responseType = 'text';
  xhr.upload.addEventListener('progress', (event) => {
    if (!event.lengthComputable) return;
    const percent = Math.floor((event.loaded / event.total) * 100);
    setProgress(percent, `Uploading ${percent}% of ${formatBytes(event.total)}`);
  });
  xhr.upload.addEventListener('load', () => setProgress(100, 'Uploaded; waiting for the model…'));
  const finished = () => {
    inFlight = null;
    refreshButtons();
  };
  xhr.addEventListener('load', () => {
    finished();
    const roundTrip = Math.round(performance.now() - started);
    showResults();
    if (xhr.status >= 200 && xhr.status < 300) {
      setProgress(100, `Done in ${roundTrip} ms`);
      onSuccess(xhr, sent, roundTrip, stage);
    } else {
      setProgress(100, `Failed with ${xhr.status}`);
      onFailure(xhr, sent, stage);
    }
  });
  xhr.addEventListener('error', () => {
    finished();
    showResults();
    setProgress(0, 'Failed');
    renderLocalError('No answer', describeNetworkFailure(url, location.origin));
  });
  xhr.addEventListener('abort', () => {
    finished();
    progressText.textContent = 'Upload cancelled; nothing was classified.';
  });
  xhr.send(form);
}

/**
 * One image's problem in a partial answer, on its own card.
 * @param {Item} item
 * @param {{ type?: unknown, status?: unknown, title?: unknown, detail?: unknown, code?: unknown, part?: unknown }} problem
 * @param {string} stage
 */
function renderImageProblem(item, problem, stage) {
  const view = describeImageProblem(problem, stage);
  item.card.dataset.state = 'failed';
  const facts = view.code === null ? [] : [element('p', 'error-facts', `code ${view.code}`)];
  outcomeOf(item).replaceChildren(
    element('p', 'problem', `${view.title}: ${view.detail}`),
    element('p', 'error-hint', view.hint),
    ...facts,
  );
  return view;
}

/**
 * @param {XMLHttpRequest} xhr
 * @param {Item[]} sent
 * @param {number} roundTrip
 * @param {string} stage
 */
function onSuccess(xhr, sent, roundTrip, stage) {
  /** @type {import('../shared/contract.ts').PredictResponse} */
  let body;
  try {
    body = JSON.parse(xhr.responseText);
  } catch {
    renderLocalError('Unreadable answer', 'The API answered 2xx, but not with JSON.');
    return;
  }
  const timings = body.timingsMs ?? {};
  renderRequestInfo([
    ['Request id', body.requestId ?? xhr.getResponseHeader('x-request-id') ?? 'none'],
    ['Endpoint', `${body.endpoint?.name ?? '?'} (variant ${body.endpoint?.variant ?? 'unknown'})`],
    [
      'Gateway time',
      `${timings.total} ms: parse ${timings.parse} ms, normalise ${timings.normalise} ms, inference ${timings.inference} ms`,
    ],
    ['Round trip', `${roundTrip} ms from this page`],
  ]);
  for (const [index, result] of (body.results ?? []).entries()) {
    const item = sent[index];
    if (item === undefined) continue;
    if ('error' in result) {
      const view = renderImageProblem(item, result.error, stage);
      summary.append(element('li', undefined, `${item.file.name}: not classified (${view.title})`));
      continue;
    }
    renderResult(item, result);
    const top = result.predictions?.[0];
    summary.append(
      element(
        'li',
        undefined,
        top === undefined
          ? `${item.file.name}: answered (see its card)`
          : `${item.file.name}: ${top.label} ${formatScore(top.score)}`,
      ),
    );
  }
}

/**
 * @param {XMLHttpRequest} xhr
 * @param {Item[]} sent
 * @param {string} stage
 */
function onFailure(xhr, sent, stage) {
  const view = describeError({
    status: xhr.status,
    contentType: xhr.getResponseHeader('content-type'),
    body: xhr.responseText,
    retryAfter: xhr.getResponseHeader('retry-after'),
    requestId: xhr.getResponseHeader('x-request-id'),
    stage,
  });
  renderError(view);
  const culprit = view.partIndex === null ? undefined : sent[view.partIndex];
  if (culprit !== undefined) {
    culprit.card.dataset.state = 'failed';
    outcomeOf(culprit).replaceChildren(element('p', 'problem', `${view.title}: ${view.detail}`));
  }
}

// ---- wiring

loadSettings();
setUpTokenField();
fileHelp.textContent = `Up to ${MAX_FILES} images: JPEG, PNG, WebP, GIF, AVIF, TIFF or HEIC. Large photos are downscaled here before upload, so they fit through API Gateway.`;

toggleKey.addEventListener('click', () => {
  const show = keyInput.type === 'password';
  keyInput.type = show ? 'text' : 'password';
  toggleKey.textContent = show ? 'Hide' : 'Show';
  toggleKey.setAttribute('aria-pressed', String(show));
});
for (const input of [baseUrlInput, stageInput, keyInput]) {
  input.addEventListener('change', saveSettings);
}
fileInput.addEventListener('change', () => {
  const files = [...(fileInput.files ?? [])];
  fileInput.value = '';
  void addFiles(files);
});
for (const name of ['dragenter', 'dragover']) {
  dropZone.addEventListener(name, (event) => {
    event.preventDefault();
    dropZone.classList.add('dragging');
  });
}
for (const name of ['dragleave', 'drop']) {
  dropZone.addEventListener(name, () => dropZone.classList.remove('dragging'));
}
dropZone.addEventListener('drop', (event) => {
  event.preventDefault();
  void addFiles([...(event.dataTransfer?.files ?? [])]);
});
uploadButton.addEventListener('click', () => void upload());
cancelButton.addEventListener('click', () => inFlight?.abort());
clearButton.addEventListener('click', () => {
  for (const item of items) item.bitmap?.close();
  items = [];
  fileList.replaceChildren();
  fileMessages.replaceChildren();
  errorBox.hidden = true;
  resultsSection.hidden = true;
  setProgress(0, '');
  void plan();
});
