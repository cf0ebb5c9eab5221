/**
 * The page's bearer token field against `npm start -- -c authorizer=jwt`
 * in a real browser (chromium, as web/page.test.ts runs it): without a
 * token the page shows the gateway's 401; with the development token it is
 * sent as `Authorization: Bearer …` and the images are classified.
 * (local/authorizer.test.ts checks the preflight allows the header.)
 */
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { imagePath } from '../fixtures/index.ts';
import type { DevelopmentIssuer } from '../local/local-auth.ts';
import { type LocalStack, startLocalStack } from '../local/stack.ts';
import { describeWithChromium, launchChromium } from '../testing/chromium.ts';

const WEB = fileURLToPath(new URL('.', import.meta.url));
const KEY = 'browser-token-test-key-00001';

describeWithChromium('web/token.test.ts', 'the page bearer token field in chromium', () => {
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      modelPort: 0,
      apiKey: KEY,
      staticDir: WEB,
      context: { authorizer: 'jwt' },
    });
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function upload(token: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${stack.url}/`);
    await page.getByLabel('API base URL').fill(stack.url);
    await page.getByLabel('API key').fill(KEY);
    await page.getByLabel('Bearer token (optional)').fill(token);
    await page.getByLabel('Choose images, or drop them here').setInputFiles(imagePath('small.jpg'));
    await page.getByRole('button', { name: 'Upload and classify' }).click();
    return page;
  }

  it('shows 401 Unauthorized without a token', async () => {
    const page = await upload('');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/401/);
    await page.context().close();
  }, 30_000);

  it('classifies with the development token', async () => {
    const { token } = stack.developmentIssuer as DevelopmentIssuer;
    const page = await upload(token);
    await expect.poll(() => page.locator('#summary li').count(), { timeout: 20_000 }).toBe(1);
    await page.context().close();
  }, 30_000);
});
