import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EVENTS,
  FIXTURES_DIR,
  IMAGES,
  type ImageName,
  imagePath,
  loadEvent,
  loadImage,
  loadPhoto,
  PHOTOS,
  type PhotoName,
} from '../fixtures/index.ts';
import { sniffImage } from '../shared/image-format.ts';
import { generateFixtures, HEIF_ENC, heifEncAvailable } from './fixtures.ts';

const names = Object.keys(IMAGES) as ImageName[];
const madeWithHeifEnc = (name: ImageName) =>
  (IMAGES[name] as { madeWith?: string }).madeWith === 'heif-enc';
const HAVE_HEIF_ENC = heifEncAvailable();
const IN_CI = process.env.CI === 'true';
const noHeifEnc = `(skipped: no heif-enc at ${HEIF_ENC}; apt-get install libheif-examples, or set HEIF_ENC_PATH)`;
if (!HAVE_HEIF_ENC && !IN_CI) {
  // The reporter shows a skipped test's name only on a terminal; say why in any output.
  process.stderr.write(`scripts/fixtures.test.ts: HEIC fixture regeneration ${noHeifEnc}\n`);
}

describe('fixtures', () => {
  const out = mkdtempSync(join(tmpdir(), 'fixtures-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('the index names exactly the files on disk', () => {
    expect(readdirSync(join(FIXTURES_DIR, 'images')).sort()).toEqual([...names].sort());
    expect(readdirSync(join(FIXTURES_DIR, 'events')).sort()).toEqual(
      Object.keys(EVENTS)
        .map((name) => `${name}.json`)
        .sort(),
    );
  });

  it('the index names exactly the photos on disk, at their sizes', async () => {
    expect(readdirSync(join(FIXTURES_DIR, 'photos')).sort()).toEqual(
      [...Object.keys(PHOTOS), 'README.md'].sort(),
    );
    for (const [name, { width, height }] of Object.entries(PHOTOS)) {
      const meta = await sharp(loadPhoto(name as PhotoName)).metadata();
      expect([meta.format, meta.width, meta.height], name).toEqual(['jpeg', width, height]);
    }
  });

  it('npm run fixtures regenerates the committed files byte for byte', async () => {
    await generateFixtures(out);
    for (const name of names.filter((n) => !madeWithHeifEnc(n))) {
      expect(readFileSync(join(out, 'images', name)).equals(loadImage(name)), name).toBe(true);
    }
    for (const name of Object.keys(EVENTS)) {
      expect(readFileSync(join(out, 'events', `${name}.json`), 'utf8'), name).toBe(
        readFileSync(join(FIXTURES_DIR, 'events', `${name}.json`), 'utf8'),
      );
    }
  });

  // With CI=true heif-enc is required: a skip there would hide that the HEIC fixtures are stale.
  it.skipIf(!HAVE_HEIF_ENC && !IN_CI)(
    `npm run fixtures regenerates the HEIC fixtures with heif-enc, byte for byte${HAVE_HEIF_ENC ? '' : ` ${noHeifEnc}`}`,
    async () => {
      expect(HAVE_HEIF_ENC, `CI=true but ${noHeifEnc}`).toBe(true);
      const heic = mkdtempSync(join(tmpdir(), 'fixtures-heic-'));
      try {
        await generateFixtures(heic);
        for (const name of names.filter(madeWithHeifEnc)) {
          expect(readFileSync(join(heic, 'images', name)).equals(loadImage(name)), name).toBe(true);
        }
      } finally {
        rmSync(heic, { recursive: true, force: true });
      }
    },
  );

  it.each(names.filter((name) => IMAGES[name].width > 0 && name !== 'truncated.jpg'))(
    '%s has the format and displayed size the index states',
    async (name) => {
      const fixture = IMAGES[name];
      expect(sniffImage(loadImage(name)).format).toBe(fixture.format);
      const meta = await sharp(imagePath(name), { limitInputPixels: false }).metadata();
      const sideways = (meta.orientation ?? 1) >= 5;
      const height = meta.pageHeight ?? meta.height;
      expect([sideways ? height : meta.width, sideways ? meta.width : height]).toEqual([
        fixture.width,
        fixture.height,
      ]);
      if ('orientation' in fixture) expect(meta.orientation).toBe(fixture.orientation);
    },
  );

  it('the special images are what they claim', async () => {
    expect((await sharp(loadImage('cmyk.jpg')).metadata()).space).toBe('cmyk');
    expect((await sharp(loadImage('progressive.jpg')).metadata()).isProgressive).toBe(true);
    expect((await sharp(loadImage('animated.gif')).metadata()).pages).toBe(3);
    expect((await sharp(loadImage('gray16.png')).metadata()).depth).toBe('ushort');
    expect((await sharp(loadImage('palette.png')).metadata()).isPalette).toBe(true);
    expect((await sharp(loadImage('alpha.png')).metadata()).hasAlpha).toBe(true);
    const exif = (await sharp(loadImage('orientation-6.jpg')).metadata()).exif ?? Buffer.alloc(0);
    expect(
      exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88])),
    ).toBe(true);
    expect(loadImage('bomb.png').length).toBeLessThan(120_000);
    expect(loadImage('empty.bin').length).toBe(0);
    // HEVC-coded, as iPhones write them (sharp reads the header; its libheif has no HEVC decoder).
    expect((await sharp(loadImage('chelsea.heic')).metadata()).compression).toBe('hevc');
    expect(loadImage('truncated.heic').equals(loadImage('chelsea.heic').subarray(0, 28956))).toBe(
      true,
    );
  });

  it.each(Object.keys(EVENTS) as Array<keyof typeof EVENTS>)(
    '%s event carries small.jpg and note=hello',
    (name) => {
      const event = loadEvent(name);
      const body = event.isBase64Encoded
        ? Buffer.from(event.body ?? '', 'base64')
        : Buffer.from(event.body ?? '', 'utf8');
      expect(body.toString('latin1')).toContain('name="note"\r\n\r\nhello\r\n');
      if (event.isBase64Encoded) expect(body.includes(loadImage('small.jpg'))).toBe(true);
      else expect(event.body).toContain('\uFFFD');
    },
  );

  it('committed fixtures stay small (< 2 MB in all)', () => {
    const total = names.reduce((sum, name) => sum + loadImage(name).length, 0);
    expect(total).toBeLessThan(2 * 1024 * 1024);
  });
});
