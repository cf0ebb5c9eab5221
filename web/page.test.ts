/**
 * The upload page in a real browser: Debian's chromium driven by
 * playwright-core, against the whole local stack (gateway from the
 * synthesised template, real handler, real model server).
 * Without chromium: testing/chromium.ts.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { imagePath, loadImage, loadPhoto } from '../fixtures/index.ts';
import { type LocalStack, startLocalStack } from '../local/stack.ts';
import { ERROR_CATALOGUE, type ErrorCode } from '../shared/errors.ts';
import { describeWithChromium, launchChromium } from '../testing/chromium.ts';
import { PART_OVERHEAD_BYTES, REQUEST_BODY_BUDGET_BYTES } from './limits.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = join(ROOT, 'web');
/** Screenshots land here; CI keeps the directory as the run's artifact. */
export const ARTIFACTS = join(ROOT, 'test-results', 'browser');
const KEY = 'browser-test-key-000000000001';

describeWithChromium('web/page.test.ts', 'the upload page in chromium', browserTests);

/** A second origin serving only the page, as a team's own site would host it. */
function startStaticServer(): Promise<Server> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.css': 'text/css',
  };
  const server = createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.slice(1) || 'index.html';
    const file = join(WEB, name);
    if (!/^[\w.-]+$/.test(name) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'text/plain' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Deterministic noise: a photo-sized JPEG far over the 4.4 MB a request can carry. */
async function noisyJpeg(width: number, height: number): Promise<Buffer> {
  return noisy(width, height).jpeg({ quality: 95 }).toBuffer();
}

/** Pixels no codec can shrink much: xorshift noise. */
function noisy(width: number, height: number) {
  const pixels = Buffer.alloc(width * height * 3);
  let state = 0x2545f491;
  for (let i = 0; i < pixels.length; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    pixels[i] = state & 0xff;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

function browserTests() {
  let stack: LocalStack;
  let staticServer: Server;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      modelPort: 0,
      apiKey: KEY,
      staticDir: WEB,
      context: {
        // `limited` lets one request per key through, then throttles: a 429 on demand.
        stages: JSON.stringify([
          { stageName: 'dev' },
          { stageName: 'limited', keyRateLimitRps: 0.01, keyBurstLimit: 1 },
          // `broken` invokes an endpoint that does not exist: a 502 from SageMaker's refusal.
          { stageName: 'broken', endpointName: 'no-such-endpoint' },
        ]),
      },
    });
    staticServer = await startStaticServer();
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => staticServer?.close(resolve));
    await stack?.stop();
  });

  /** The same upload without the page: what the API itself answers for these bytes. */
  async function postDirectly(bytes: Buffer, name: string, type: string) {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(bytes)], { type }), name);
    const response = await fetch(`${stack.url}/dev/predict`, {
      method: 'POST',
      body: form,
      headers: { 'x-api-key': KEY },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** A fresh page (fresh storage) on the gateway's own origin, the key filled in. */
  async function openPage(origin = stack.url, key = KEY): Promise<Page> {
    const context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.getByLabel('API base URL').fill(stack.url);
    await page.getByLabel('API key').fill(key);
    return page;
  }

  const chooseFiles = (files: Parameters<Page['setInputFiles']>[1]) =>
    page.getByLabel('Choose images, or drop them here').setInputFiles(files);

  const errorBox = () => page.getByRole('alert');
  /** The error box's first line for a code: status and the catalogue's title. */
  const titleOf = (code: ErrorCode) =>
    `${ERROR_CATALOGUE[code].status} ${ERROR_CATALOGUE[code].title}`;

  it('the gateway serves the page at / and only its assets', async () => {
    const index = await fetch(`${stack.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toBe(readFileSync(join(WEB, 'index.html'), 'utf8'));
    for (const [asset, type] of [
      ['app.js', 'text/javascript; charset=utf-8'],
      ['plan.js', 'text/javascript; charset=utf-8'],
      ['limits.js', 'text/javascript; charset=utf-8'],
      ['style.css', 'text/css; charset=utf-8'],
    ]) {
      const response = await fetch(`${stack.url}/${asset}`);
      expect([asset, response.status, response.headers.get('content-type')]).toEqual([
        asset,
        200,
        type,
      ]);
    }
    // Tests and anything outside web/ fall through to the API, which knows no such route.
    for (const path of ['/page.test.ts', '/%2e%2e/package.json', '/web/index.html']) {
      const response = await fetch(`${stack.url}${path}`);
      expect([path, response.status, ((await response.json()) as { code: string }).code]).toEqual([
        path,
        403,
        'MISSING_AUTHENTICATION_TOKEN',
      ]);
    }
  });

  it('uploads a photo: progress at 100%, the top label and the request id as the API gives them', async () => {
    // What the API says of this photo, asked directly.
    const direct = await postDirectly(loadImage('photo-2mp.jpg'), 'photo-2mp.jpg', 'image/jpeg');
    expect(direct.status).toBe(200);
    const expected = direct.body as unknown as {
      results: Array<{ predictions: Array<{ label: string; score: number }> }>;
    };
    const top = expected.results[0]?.predictions[0];
    expect(top?.label).toBe('Neutral');

    await openPage();
    await chooseFiles(imagePath('photo-2mp.jpg'));
    await expect
      .poll(() => page.locator('.card .note').textContent())
      .toBe('1732×1155 px, 605 KB, sent as it is.');
    const answer = page.waitForResponse((r) => r.url().endsWith('/dev/predict?partial=true'));
    await page.getByRole('button', { name: 'Upload and classify' }).click();
    const response = await answer;
    expect(response.status()).toBe(200);
    const requestId = response.headers()['x-request-id'];

    await expect
      .poll(() => page.locator('#summary li').allTextContents())
      .toEqual([`photo-2mp.jpg: Neutral ${((top?.score ?? 0) * 100).toFixed(1)}%`]);
    expect(await page.locator('.card .top-label .label').textContent()).toBe('Neutral');
    expect(await page.locator('.card meter').count()).toBe(5);
    expect(await page.locator('#progress').evaluate((p) => (p as HTMLProgressElement).value)).toBe(
      100,
    );
    expect(await page.locator('#request-info dd').first().textContent()).toBe(requestId);
    // Focus moves to the results, for keyboard and screen-reader users.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('results-heading');

    // The key lives in this tab's sessionStorage only: not in the URL, not in localStorage.
    expect(page.url()).toBe(`${stack.url}/`);
    expect(
      await page.evaluate(() => sessionStorage.getItem('image-inference-gateway.apiKey')),
    ).toBe(KEY);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(KEY);

    await page.screenshot({ path: join(ARTIFACTS, 'upload.png'), fullPage: true });
    expect(readFileSync(join(ARTIFACTS, 'upload.png')).subarray(1, 4).toString()).toBe('PNG');
    await page.context().close();
  });

  it('a wrong key shows the 403 problem in words', async () => {
    await openPage(stack.url, 'not-the-key-0000000000000');
    await chooseFiles(imagePath('small.jpg'));
    await page.getByRole('button', { name: 'Upload and classify' }).click();
    await expect
      .poll(() => errorBox().locator('.error-title').textContent())
      .toBe(titleOf('INVALID_API_KEY'));
    expect(await errorBox().locator('.error-hint').textContent()).toBe(
      'Check the API key: it is missing, wrong, or not in a usage plan of stage “dev”.',
    );
    expect(await errorBox().locator('.error-facts').textContent()).toMatch(
      /^code INVALID_API_KEY · request id [0-9a-f-]{36}$/,
    );
    await page.context().close();
  });

  it('an image over the 4.4 MB a request can carry is re-encoded in the browser (at its own size, as it fits so) and succeeds', async () => {
    const big = await noisyJpeg(2600, 2000);
    expect(big.length).toBeGreaterThan(REQUEST_BODY_BUDGET_BYTES);
    // Sent as it is, the gateway would refuse it before the Lambda (the event would pass 6 MB).
    expect(await postDirectly(big, 'noise.jpg', 'image/jpeg')).toMatchObject({
      status: 413,
      body: { code: 'REQUEST_TOO_LARGE' },
    });

    await openPage();
    await chooseFiles({ name: 'noise.jpg', mimeType: 'image/jpeg', buffer: big });
    await expect
      .poll(() => page.locator('.card .note').textContent(), { timeout: 15_000 })
      .toMatch(
        /^2600×2000 px, [\d.]+ MB, re-encoded here as JPEG, [\d.]+ MB \([\d.]+ MB is over the [\d.]+ MB one upload allows\)\.$/,
      );
    const answer = page.waitForResponse((r) => r.url().endsWith('/dev/predict?partial=true'));
    await page.getByRole('button', { name: 'Upload and classify' }).click();
    const response = await answer;
    expect(response.status()).toBe(200);
    const body = (await response.json()) as {
      results: Array<{
        filename: string;
        image: { format: string; width: number; height: number; bytes: number };
      }>;
    };
    // The file that reached the handler is the page's JPEG, within the request budget.
    expect(body.results[0]?.image.bytes).toBeLessThanOrEqual(
      REQUEST_BODY_BUDGET_BYTES - PART_OVERHEAD_BYTES,
    );
    expect(body.results[0]?.filename).toBe('noise.jpg');
    expect(body.results[0]?.image.format).toBe('jpeg');
    // Shrunk only as far as the request budget requires: here, not at all in pixels.
    const { width = 0, height = 0 } = body.results[0]?.image ?? {};
    expect([width, height]).toEqual([2600, 2000]);
    await expect.poll(() => page.locator('#summary li').count()).toBe(1);
    await page.context().close();
  });

  it('an image over the 40 MP limit is downscaled and succeeds where the raw file gets 413', async () => {
    const huge = await sharp({
      create: { width: 9000, height: 5000, channels: 3, background: '#808080' },
    })
      .png()
      .toBuffer();
    expect(await postDirectly(huge, 'huge.png', 'image/png')).toMatchObject({
      status: 413,
      body: { code: 'IMAGE_TOO_MANY_PIXELS' },
    });

    await openPage();
    await chooseFiles({ name: 'huge.png', mimeType: 'image/png', buffer: huge });
    await expect
      .poll(() => page.locator('.card .note').textContent(), { timeout: 15_000 })
      .toMatch(/downscaled here to 8485×4714 px JPEG/);
    await page.getByRole('button', { name: 'Upload and classify' }).click();
    // Decoding the 40 MP upload takes seconds on a busy machine: more than poll's 1 s default.
    await expect
      .poll(() => page.locator('#summary li').allTextContents(), { timeout: 15_000 })
      .toEqual([expect.stringMatching(/^huge\.png: Drawing \d+\.\d%$/)]);
    await page.context().close();
  });

  it('refuses non-images before upload; sends a HEIC as it is; shows each bad image on its own card (partial mode)', async () => {
    // What the API says of the same picture as a JPEG, asked directly.
    const asJpeg = await postDirectly(loadPhoto('chelsea.jpg'), 'chelsea.jpg', 'image/jpeg');
    expect(asJpeg.status).toBe(200);
    const jpegTop = (asJpeg.body as { results: Array<{ predictions: Array<{ label: string }> }> })
      .results[0]?.predictions[0]?.label;

    await openPage();
    await chooseFiles(imagePath('document.pdf'));
    await expect
      .poll(() => page.locator('#file-messages p').allTextContents())
      .toEqual([
        'document.pdf is not an image the gateway accepts (type application/pdf). Accepted: JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC.',
      ]);
    expect(await page.locator('.card').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Upload and classify' }).isDisabled()).toBe(true);

    // A real HEIC (Chromium cannot decode it: no preview, sent as it is), a good JPEG,
    // HEIC bytes with no image under a .jpg name (the page trusts the declared type)
    // and a truncated JPEG: one request, each image its own answer.
    await chooseFiles([
      { name: 'small.jpg', mimeType: 'image/jpeg', buffer: loadImage('small.jpg') },
      { name: 'IMG_0001.HEIC', mimeType: 'image/heic', buffer: loadImage('chelsea.heic') },
      { name: 'holiday.jpg', mimeType: 'image/jpeg', buffer: loadImage('heic.heic') },
      { name: 'truncated.jpg', mimeType: 'image/jpeg', buffer: loadImage('truncated.jpg') },
    ]);
    await expect.poll(() => page.locator('.card').count()).toBe(4);
    const heicCard = page.locator('.card').nth(1);
    await expect
      .poll(() => heicCard.locator('.note').textContent())
      .toBe('HEIC, 48 KB, sent as it is: this browser cannot show it, the gateway decodes it.');
    expect(await heicCard.locator('.file-name').textContent()).toBe('IMG_0001.HEIC');
    expect(await heicCard.locator('.thumbnail').textContent()).toBe('No preview');

    const answer = page.waitForResponse((r) => r.url().endsWith('/dev/predict?partial=true'));
    await page.getByRole('button', { name: 'Upload and classify' }).click();
    const response = await answer;
    expect(response.status()).toBe(200);
    const body = (await response.json()) as {
      results: Array<{ filename: string; image?: { format: string; bytes: number } }>;
    };
    // The HEIC reached the gateway as it was chosen.
    expect(body.results[1]).toMatchObject({
      filename: 'IMG_0001.HEIC',
      image: { format: 'heic', bytes: loadImage('chelsea.heic').length },
    });

    await expect
      .poll(() => page.locator('#summary li').allTextContents())
      .toEqual([
        expect.stringMatching(/^small\.jpg: \w+ \d+\.\d%$/),
        expect.stringMatching(new RegExp(`^IMG_0001\\.HEIC: ${jpegTop} \\d+\\.\\d%$`)),
        'holiday.jpg: not classified (Image cannot be decoded)',
        'truncated.jpg: not classified (Image cannot be decoded)',
      ]);
    expect(await heicCard.locator('.top-label .label').textContent()).toBe(jpegTop);
    const states = await page
      .locator('.card')
      .evaluateAll((cards) => cards.map((card) => (card as HTMLElement).dataset.state));
    expect(states).toEqual(['done', 'done', 'failed', 'failed']);
    expect(await page.locator('.card').nth(2).locator('.outcome .problem').textContent()).toBe(
      'Image cannot be decoded: image[2] (holiday.jpg) cannot be decoded as HEIC/HEIF.',
    );
    expect(await page.locator('.card').nth(3).locator('.outcome').textContent()).toBe(
      'Image cannot be decoded: image[3] (truncated.jpg) cannot be decoded as JPEG (corrupt or truncated).' +
        'The file is corrupt or truncated: export the image again.code IMAGE_UNDECODABLE',
    );
    // No request-wide error: the request itself was valid.
    expect(await errorBox().isHidden()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'partial.png'), fullPage: true });
    await page.context().close();
  });

  it('a HEIC over what one upload allows is refused on its card, by name: the browser cannot shrink it', async () => {
    // Real HEIC bytes padded past the request budget: Chromium cannot decode HEIC to downscale it.
    const heic = loadImage('chelsea.heic');
    const big = Buffer.concat([heic, Buffer.alloc(REQUEST_BODY_BUDGET_BYTES + 1 - heic.length)]);
    await openPage();
    await chooseFiles({ name: 'IMG_0002.HEIC', mimeType: 'image/heic', buffer: big });
    await expect.poll(() => page.locator('.card').count()).toBe(1);
    const card = page.locator('.card').first();
    await expect.poll(() => card.getAttribute('data-state')).toBe('refused');
    expect(await card.locator('.file-name').textContent()).toBe('IMG_0002.HEIC');
    expect(await card.locator('.problem').textContent()).toMatch(
      /^IMG_0002\.HEIC is [\d.]+ MB, over the [\d.]+ MB this upload allows, and this browser cannot decode HEIC to shrink it\. Convert it to JPEG first\.$/,
    );
    // Upload says why, and sends nothing.
    let sent = false;
    page.on('request', (request) => {
      if (request.url().includes('/predict')) sent = true;
    });
    await page.getByRole('button', { name: 'Upload and classify' }).click();
    await expect.poll(() => errorBox().textContent()).toContain('Remove them to upload the rest.');
    expect(await errorBox().textContent()).toContain('IMG_0002.HEIC is ');
    expect(sent).toBe(false);
    await page.context().close();
  });

  it('429 shows when to try again', async () => {
    await openPage();
    await page.getByLabel('Stage').fill('limited');
    await chooseFiles(imagePath('small.jpg'));
    const upload = page.getByRole('button', { name: 'Upload and classify' });
    await upload.click();
    await expect.poll(() => page.locator('#summary li').count()).toBe(1);
    await upload.click();
    await expect
      .poll(() => errorBox().locator('.error-title').textContent())
      .toBe(titleOf('THROTTLED'));
    expect(await errorBox().locator('.error-hint').textContent()).toBe(
      'Requests are coming faster than this key or stage allows. Try again in 1 second.',
    );
    await page.context().close();
  });

  it('a 5xx says the image is not at fault and gives the request id', async () => {
    await openPage();
    await page.getByLabel('Stage').fill('broken');
    await chooseFiles(imagePath('small.jpg'));
    const answer = page.waitForResponse((r) => r.url().endsWith('/broken/predict?partial=true'));
    await page.getByRole('button', { name: 'Upload and classify' }).click();
    const requestId = (await answer).headers()['x-request-id'];
    await expect
      .poll(() => errorBox().locator('.error-title').textContent())
      .toBe(titleOf('ENDPOINT_REJECTED_REQUEST'));
    expect(await errorBox().locator('.error-hint').textContent()).toBe(
      'The gateway or the model failed; this is not your image. Quote the request id when you report it.',
    );
    expect(await errorBox().locator('.error-facts').textContent()).toBe(
      `code ENDPOINT_REJECTED_REQUEST · request id ${requestId}`,
    );
    await page.context().close();
  });

  it('cancel stops a slow upload and says nothing was classified', async () => {
    await openPage();
    // Chromium's own network throttling: 64 KB/s up, so the upload takes seconds.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 64 * 1024,
    });
    await chooseFiles(imagePath('photo-2mp.jpg'));
    await expect.poll(() => page.locator('.card').count()).toBe(1);
    await page.getByRole('button', { name: 'Upload and classify' }).click();
    const cancel = page.getByRole('button', { name: 'Cancel upload' });
    await expect.poll(() => cancel.isEnabled()).toBe(true);
    await cancel.click();
    await expect
      .poll(() => page.locator('#progress-text').textContent())
      .toBe('Upload cancelled; nothing was classified.');
    expect(await page.locator('#summary li').count()).toBe(0);
    // Cancelled mid-upload: the bar stopped short of the end.
    expect(
      await page.locator('#progress').evaluate((p) => (p as HTMLProgressElement).value),
    ).toBeLessThan(100);
    expect(await cancel.isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Upload and classify' }).isEnabled()).toBe(true);
    await page.context().close();
  });

  it('works across origins: a page on another origin gets results and readable gateway errors (CORS)', async () => {
    const pageOrigin = `http://127.0.0.1:${(staticServer.address() as AddressInfo).port}`;
    expect(pageOrigin).not.toBe(stack.url);
    await openPage(pageOrigin);
    await chooseFiles(imagePath('small.jpg'));
    await page.getByRole('button', { name: 'Upload and classify' }).click();
    await expect.poll(() => page.locator('#summary li').count()).toBe(1);
    expect(await errorBox().isHidden()).toBe(true);

    // A gateway-made 403 carries CORS headers too, so the page can read it.
    await page.getByLabel('API key').fill('wrong-key-000000000000000');
    await page.getByRole('button', { name: 'Upload and classify' }).click();
    await expect
      .poll(() => errorBox().locator('.error-title').textContent())
      .toBe(titleOf('INVALID_API_KEY'));
    await page.context().close();
  });

  it('takes images dropped on the drop zone and shows their thumbnails', async () => {
    await openPage();
    const bytes = [...loadImage('orientation-6.jpg')];
    const dataTransfer = await page.evaluateHandle((data) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], 'dropped.jpg', { type: 'image/jpeg' }));
      return transfer;
    }, bytes);
    await page.dispatchEvent('#drop-zone', 'dragenter', { dataTransfer });
    expect(await page.locator('#drop-zone').getAttribute('class')).toBe('drop-zone dragging');
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
    await expect
      .poll(() => page.locator('.card .file-name').allTextContents())
      .toEqual(['dropped.jpg']);
    expect(await page.locator('#drop-zone').getAttribute('class')).toBe('drop-zone');
    // The thumbnail is drawn upright (EXIF orientation 6 applied, stored 64×96, seen
    // 96×64): red at its top left, white at its bottom right, as the fixture is meant to be seen.
    const thumbnail = page.getByRole('img', { name: 'Preview of dropped.jpg' });
    await expect
      .poll(() => thumbnail.evaluate((img) => (img as HTMLImageElement).complete))
      .toBe(true);
    const shot = await sharp(await thumbnail.screenshot())
      .raw()
      .toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => {
      const at = (y * shot.info.width + x) * shot.info.channels;
      return [...shot.data.subarray(at, at + 3)].map((c) => (c > 128 ? 1 : 0)).join('');
    };
    expect([pixel(4, 4), pixel(shot.info.width - 5, shot.info.height - 5)]).toEqual(['100', '111']);
    expect(await page.locator('.card .note').textContent()).toBe(
      '96×64 px, 1.2 KB, sent as it is.',
    );
    await page.context().close();
  });

  it('can be used with the keyboard alone: every control in order, upload with Enter', async () => {
    await openPage();
    await chooseFiles(imagePath('small.jpg'));
    await expect.poll(() => page.locator('.card').count()).toBe(1);
    await page.getByLabel('API base URL').focus();
    const order: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      if (i > 0) await page.keyboard.press('Tab');
      order.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          return el.id || el.getAttribute('aria-label') || el.textContent || '';
        }),
      );
    }
    expect(order).toEqual([
      'base-url',
      'stage',
      'api-key',
      'toggle-key',
      // Issue 18: the bearer token field (web/token.js).
      'token',
      'file-input',
      'Remove small.jpg',
      'upload',
    ]);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#summary li').count()).toBe(1);
    await page.context().close();
  });
}
