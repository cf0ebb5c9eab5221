/**
 * `npm run fixtures [outDir]`: regenerates every fixture named in
 * fixtures/index.ts, deterministically (no clock, no randomness: a fixed-seed
 * generator where noise is wanted, fixed boundaries where clients pick random ones).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import {
  buildMultipart,
  type EventName,
  eventFor,
  FIXTURES_DIR,
  type ImageName,
  loadPhoto,
} from '../fixtures/index.ts';

type Rgb = readonly [number, number, number];

/** A raw RGB canvas filled by `paint(x, y)`. */
function canvas(width: number, height: number, paint: (x: number, y: number) => Rgb) {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = paint(x, y);
      const i = (y * width + x) * 3;
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** Deterministic pseudo-random bytes (mulberry32). */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const gradient = (x: number, y: number): Rgb => [(x * 4) & 255, (y * 5) & 255, ((x + y) * 2) & 255];

/** The picture every orientation fixture shows once displayed: coloured corners on grey. */
function displayed(x: number, y: number): Rgb {
  const left = x < 24;
  const right = x >= 72;
  const top = y < 16;
  const bottom = y >= 48;
  if (top && left) return [255, 0, 0];
  if (top && right) return [0, 255, 0];
  if (bottom && left) return [0, 0, 255];
  if (bottom && right) return [255, 255, 255];
  return [128, 128, 128];
}

/**
 * Stored pixels for EXIF orientation `o` so that applying `o` shows the
 * 96x64 `displayed` picture: each displayed (x, y) comes from stored (sx, sy).
 */
function storedFor(o: number) {
  const [w, h] = [96, 64];
  const sideways = o >= 5;
  const sw = sideways ? h : w;
  const sh = sideways ? w : h;
  // Inverse of the display mapping D(x, y) = S(f(x, y)).
  const source: Record<number, (x: number, y: number) => [number, number]> = {
    1: (x, y) => [x, y],
    2: (x, y) => [sw - 1 - x, y],
    3: (x, y) => [sw - 1 - x, sh - 1 - y],
    4: (x, y) => [x, sh - 1 - y],
    5: (x, y) => [y, x],
    6: (x, y) => [y, sh - 1 - x],
    7: (x, y) => [sw - 1 - y, sh - 1 - x],
    8: (x, y) => [sw - 1 - y, x],
  };
  const map = source[o] as (x: number, y: number) => [number, number];
  const stored = new Map<number, Rgb>();
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [sx, sy] = map(x, y);
      stored.set(sy * sw + sx, displayed(x, y));
    }
  }
  return canvas(sw, sh, (x, y) => stored.get(y * sw + x) ?? [0, 0, 0]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A greyscale PNG written by hand; `rows` are the filtered scanlines (filter byte first). */
function greyPng(width: number, height: number, bitDepth: number, rows: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = bitDepth;
  header[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A valid 30000x30000 1-bit greyscale PNG, all black: 900 MP in ~110 KB. */
function pixelBomb(): Buffer {
  const side = 30_000;
  const rowBytes = 1 + Math.ceil(side / 8); // filter byte + packed pixels
  return greyPng(side, side, 1, Buffer.alloc(rowBytes * side));
}

/** A true 16-bit ramp (sharp cannot be handed 16-bit raw input, so write it directly). */
function gray16Ramp(): Buffer {
  const [width, height] = [64, 48];
  const rows = Buffer.alloc(height * (1 + width * 2));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const value = Math.round(((y * width + x) / (width * height - 1)) * 65535);
      rows.writeUInt16BE(value, y * (1 + width * 2) + 1 + x * 2);
    }
  }
  return greyPng(width, height, 16, rows);
}

/** An ISO-BMFF `ftyp` box of brand heic, as iPhones write, followed by an empty meta box. */
function heicHeader(): Buffer {
  const ftyp = Buffer.concat([
    Buffer.from([0, 0, 0, 24]),
    Buffer.from('ftypheic', 'latin1'),
    Buffer.from([0, 0, 0, 0]),
    Buffer.from('mif1heic', 'latin1'),
  ]);
  const meta = Buffer.concat([
    Buffer.from([0, 0, 0, 12]),
    Buffer.from('meta', 'latin1'),
    Buffer.alloc(4),
  ]);
  return Buffer.concat([ftyp, meta]);
}

/** Debian's heif-enc (libheif-examples, x265): the HEVC encoder the HEIC fixtures are made with. */
export const HEIF_ENC = process.env.HEIF_ENC_PATH ?? '/usr/bin/heif-enc';

/** Whether heif-enc can run here; HEIC fixtures are only regenerated where it can. */
export function heifEncAvailable(): boolean {
  return existsSync(HEIF_ENC);
}

/** `png` encoded as HEVC HEIC by heif-enc at `quality` (deterministic for a given libheif/x265). */
async function heifEnc(png: Buffer, quality: number): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'heif-enc-'));
  try {
    writeFileSync(join(dir, 'in.png'), png);
    await execFileAsync(HEIF_ENC, [
      '-q',
      String(quality),
      '-o',
      join(dir, 'out.heic'),
      join(dir, 'in.png'),
    ]);
    return readFileSync(join(dir, 'out.heic'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The HEIC fixtures (made with heif-enc): undefined when it is not installed. */
async function heicImages(): Promise<Partial<Record<ImageName, Buffer>>> {
  if (!heifEncAvailable()) return {};
  const png = await sharp(loadPhoto('chelsea.jpg')).png().toBuffer();
  const heic = await heifEnc(png, 80);
  return {
    'chelsea.heic': heic,
    'truncated.heic': heic.subarray(0, Math.floor(heic.length * 0.6)),
  };
}

async function images(): Promise<Partial<Record<ImageName, Buffer>>> {
  const exif = {
    IFD0: { Copyright: 'fixture', Make: 'FixtureCam' },
    IFD3: {
      GPSLatitudeRef: 'N',
      GPSLatitude: '35/1 40/1 0/1',
      GPSLongitudeRef: 'E',
      GPSLongitude: '139/1 46/1 0/1',
    },
  };
  const oriented = async (o: number) =>
    storedFor(o).withExif(exif).withMetadata({ orientation: o }).jpeg({ quality: 95 }).toBuffer();
  const small = () => canvas(64, 48, gradient);
  const random = prng(2_024);
  const photo = canvas(1732, 1155, (x, y) => {
    const n = random() * 40 - 20;
    const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
    return [clamp(90 + x / 12 + n), clamp(140 + Math.sin(y / 60) * 60 + n), clamp(200 - y / 8 + n)];
  });
  const truncatedSource = await canvas(256, 192, gradient).jpeg({ quality: 90 }).toBuffer();
  const frames = Buffer.concat(
    (
      [
        [255, 0, 0],
        [0, 255, 0],
        [0, 0, 255],
      ] as const
    ).map(([r, g, b]) => {
      const frame = Buffer.alloc(48 * 32 * 3);
      for (let i = 0; i < frame.length; i += 3) frame.set([r, g, b], i);
      return frame;
    }),
  );
  const alpha = Buffer.alloc(64 * 64 * 4);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const inside = x >= 16 && x < 48 && y >= 16 && y < 48;
      alpha.set(inside ? [255, 0, 0, 255] : [0, 0, 0, 0], (y * 64 + x) * 4);
    }
  }

  return {
    'small.jpg': await small().jpeg({ quality: 90 }).toBuffer(),
    'orientation-1.jpg': await oriented(1),
    'orientation-2.jpg': await oriented(2),
    'orientation-3.jpg': await oriented(3),
    'orientation-4.jpg': await oriented(4),
    'orientation-5.jpg': await oriented(5),
    'orientation-6.jpg': await oriented(6),
    'orientation-7.jpg': await oriented(7),
    'orientation-8.jpg': await oriented(8),
    'alpha.png': await sharp(alpha, { raw: { width: 64, height: 64, channels: 4 } })
      .png()
      .toBuffer(),
    'gray16.png': gray16Ramp(),
    'palette.png': await small().png({ palette: true, colours: 16, dither: 0 }).toBuffer(),
    'animated.gif': await sharp(frames, {
      raw: { width: 48, height: 96, channels: 3, pageHeight: 32 } as never,
    })
      .gif({ loop: 0, delay: [100, 100, 100] })
      .toBuffer(),
    'image.webp': await small().webp({ quality: 80 }).toBuffer(),
    'image.avif': await small().avif({ quality: 60, effort: 2 }).toBuffer(),
    'image.tiff': await small().tiff({ compression: 'lzw' }).toBuffer(),
    'cmyk.jpg': await small().toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer(),
    'progressive.jpg': await small().jpeg({ quality: 90, progressive: true }).toBuffer(),
    'photo-2mp.jpg': await photo.jpeg({ quality: 85 }).toBuffer(),
    'truncated.jpg': truncatedSource.subarray(0, Math.floor(truncatedSource.length / 2)),
    'bomb.png': pixelBomb(),
    'heic.heic': heicHeader(),
    'vector.svg': Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><rect width="64" height="48" fill="red"/></svg>\n',
    ),
    'document.pdf': Buffer.from(
      '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
    ),
    'not-an-image.bin': Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37 + 11) & 255)),
    'empty.bin': Buffer.alloc(0),
    ...(await heicImages()),
  };
}

const execFileAsync = promisify(execFile);

/** Captures what a real client sends: starts a server, runs `send`, returns body and type. */
async function capture(
  send: (url: string) => Promise<unknown>,
): Promise<{ body: Buffer; contentType: string }> {
  let captured: { body: Buffer; contentType: string } | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      captured = { body: Buffer.concat(chunks), contentType: req.headers['content-type'] ?? '' };
      res.end('ok');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  try {
    await send(`http://127.0.0.1:${(server.address() as AddressInfo).port}/predict`);
  } finally {
    server.close();
  }
  if (captured === undefined) throw new Error('the client sent nothing');
  return captured;
}

/** Replaces a client's random boundary by a fixed one of the same style. */
function fixBoundary(
  captured: { body: Buffer; contentType: string },
  pattern: RegExp,
  fixed: string,
) {
  const random = pattern.exec(captured.contentType)?.[0];
  if (random === undefined || random.length !== fixed.length) {
    throw new Error(`unexpected boundary in ${captured.contentType}`);
  }
  return {
    body: Buffer.from(captured.body.toString('latin1').split(random).join(fixed), 'latin1'),
    contentType: captured.contentType.replace(random, fixed),
  };
}

async function events(small: Buffer, imagesDir: string): Promise<Record<EventName, object>> {
  const curl = fixBoundary(
    await capture(async (url) => {
      try {
        await execFileAsync('curl', [
          '-sS',
          '--noproxy',
          '*',
          '-F',
          `image=@${join(imagesDir, 'small.jpg')}`,
          '-F',
          'note=hello',
          url,
        ]);
      } catch (cause) {
        throw new Error(
          'npm run fixtures needs curl on the PATH to capture a real curl -F upload',
          { cause },
        );
      }
    }),
    /-{24}[0-9a-f]{16}$/,
    '------------------------d74496d66958873e',
  );
  const form = new FormData();
  form.append('image', new Blob([small], { type: 'image/jpeg' }), 'small.jpg');
  form.append('note', 'hello');
  const undici = fixBoundary(
    await capture((url) => fetch(url, { method: 'POST', body: form })),
    /----formdata-undici-0\d{11}$/,
    '----formdata-undici-031415926535',
  );
  const chromiumBoundary = '----WebKitFormBoundary7MA4YWxkTrZu0gW9';
  const chromium = buildMultipart(
    [
      { name: 'image', filename: 'small.jpg', contentType: 'image/jpeg', bytes: small },
      { name: 'note', value: 'hello' },
    ],
    chromiumBoundary,
  );
  const curlEvent = eventFor(curl.body, curl.contentType, {
    headers: { 'User-Agent': 'curl/7.88.1' },
    requestId: '9f0c6a52-1d7e-4c1b-8a55-3e2f6d7c8b01',
  });
  return {
    curl: curlEvent,
    chromium: eventFor(chromium, `multipart/form-data; boundary=${chromiumBoundary}`, {
      headers: {
        Accept: '*/*',
        Origin: 'http://localhost:3000',
        'User-Agent':
          'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
        'sec-fetch-mode': 'cors',
      },
      requestId: '2b7e9d14-6c3a-4f0e-b1d2-7a8c9e0f1a22',
    }),
    'node-fetch': eventFor(undici.body, undici.contentType, {
      headers: { 'User-Agent': 'node', 'accept-language': '*', 'sec-fetch-mode': 'cors' },
      requestId: '5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e33',
    }),
    'text-body': {
      ...curlEvent,
      body: curl.body.toString('utf8'),
      isBase64Encoded: false,
      requestContext: {
        ...curlEvent.requestContext,
        requestId: '0e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a44',
      },
    },
  };
}

/** Writes every fixture into `outDir` (images/ and events/). */
export async function generateFixtures(outDir: string): Promise<void> {
  const imagesDir = join(outDir, 'images');
  const eventsDir = join(outDir, 'events');
  mkdirSync(imagesDir, { recursive: true });
  mkdirSync(eventsDir, { recursive: true });
  const generated = await images();
  for (const [name, bytes] of Object.entries(generated))
    writeFileSync(join(imagesDir, name), bytes);
  if (!heifEncAvailable()) {
    console.warn(
      `${HEIF_ENC} not found (apt-get install libheif-examples): HEIC fixtures left as they are`,
    );
  }
  const small = generated['small.jpg'] as Buffer;
  for (const [name, event] of Object.entries(await events(small, imagesDir))) {
    writeFileSync(join(eventsDir, `${name}.json`), `${JSON.stringify(event, null, 2)}\n`);
  }
}

if (
  process.argv[1] !== undefined &&
  resolve(process.argv[1]) === resolve(import.meta.filename ?? '')
) {
  const outDir = resolve(process.argv[2] ?? FIXTURES_DIR);
  await generateFixtures(outDir);
  console.log(`fixtures written to ${outDir}`);
}
