/**
 * The images model fidelity is measured on: real photographs, and variants
 * of them that exercise each step of decoding (EXIF orientation,
 * transparency, greyscale, CMYK, 16 bits, a frame over 2000 px), made with
 * sharp from the committed photos, so nothing large is stored.
 */
import sharp from 'sharp';
import { loadImage, loadPhoto, PHOTOS, type PhotoName } from '../fixtures/index.ts';

export interface FidelityCase {
  readonly name: string;
  /** What the case exercises. */
  readonly what: string;
  readonly bytes: Buffer;
}

/** Every case, in a stable order: the photos first, then the variants. */
export async function fidelityCases(): Promise<FidelityCase[]> {
  const photos = (Object.keys(PHOTOS) as PhotoName[]).map((name) => ({
    name,
    what: `photo: ${PHOTOS[name].description} (${PHOTOS[name].width}x${PHOTOS[name].height})`,
    bytes: loadPhoto(name),
  }));
  const chelsea = loadPhoto('chelsea.jpg');
  const coffee = loadPhoto('coffee.jpg');
  const rocket = loadPhoto('rocket.jpg');
  const variants: FidelityCase[] = [
    {
      name: 'chelsea-exif-6.jpg',
      what: 'EXIF orientation 6: stored turned, displayed upright',
      bytes: await sharp(chelsea)
        .rotate(270)
        .withMetadata({ orientation: 6 })
        .jpeg({ quality: 92 })
        .toBuffer(),
    },
    {
      name: 'coffee-alpha.png',
      what: 'transparency: half transparent everywhere, flattened onto white',
      bytes: await sharp(coffee).ensureAlpha(0.5).png().toBuffer(),
    },
    {
      name: 'camera-grey.png',
      what: 'greyscale, one channel',
      bytes: await sharp(loadPhoto('camera.jpg')).toColourspace('b-w').png().toBuffer(),
    },
    {
      name: 'rocket-cmyk.jpg',
      what: 'CMYK JPEG, converted to sRGB',
      bytes: await sharp(rocket).toColourspace('cmyk').jpeg({ quality: 92 }).toBuffer(),
    },
    {
      name: 'coffee-16bit.png',
      what: '16 bits per channel',
      bytes: await sharp(coffee).toColourspace('rgb16').png().toBuffer(),
    },
    {
      name: 'astronaut-2400.jpg',
      what: 'a frame over 2000 px (2400x2400)',
      bytes: await sharp(loadPhoto('astronaut.jpg'))
        .resize(2400, 2400)
        .jpeg({ quality: 90 })
        .toBuffer(),
    },
    {
      name: 'photo-2mp.jpg',
      what: 'photo-like, 1732x1155 (the benchmark upload)',
      bytes: loadImage('photo-2mp.jpg'),
    },
  ];
  return [...photos, ...variants];
}

/**
 * CDK context for a local stack whose `dev` stage no usage plan slows down:
 * measurements send requests as fast as the model answers.
 */
export const UNTHROTTLED_CONTEXT = {
  stages: JSON.stringify([
    {
      stageName: 'dev',
      throttleRateLimitRps: 10_000,
      throttleBurstLimit: 5_000,
      keyRateLimitRps: 10_000,
      keyBurstLimit: 5_000,
    },
  ]),
} as const;

export interface PredictAnswer {
  readonly predictions: ReadonlyArray<{ label: string; score: number }>;
  /** The handler's own normalisation time for the image (`timingsMs.normalise`). */
  readonly normaliseMs: number;
}

/**
 * Uploads one case to `POST {baseUrl}/dev/predict` as a browser form would.
 * @throws Error with the status and body when the answer is not 200
 */
export async function predictViaGateway(
  baseUrl: string,
  apiKey: string,
  image: FidelityCase,
): Promise<PredictAnswer> {
  const form = new FormData();
  form.append('image', new Blob([image.bytes]), image.name);
  const response = await fetch(`${baseUrl}/dev/predict`, {
    method: 'POST',
    body: form,
    headers: { 'x-api-key': apiKey },
  });
  const body = (await response.json()) as {
    results?: Array<{ predictions: Array<{ label: string; score: number }> }>;
    timingsMs?: { normalise: number };
  };
  if (response.status !== 200) {
    throw new Error(`${image.name}: ${response.status} ${JSON.stringify(body)}`);
  }
  return {
    predictions: body.results?.[0]?.predictions ?? [],
    normaliseMs: body.timingsMs?.normalise ?? Number.NaN,
  };
}
