/**
 * The decoding policy through the Lambda's normaliseImage, as a table: each
 * allowed format x {complete, missing end marker, truncated data, trailing
 * garbage, bad ancillary CRC} (fixtures/damaged.ts). "decoded" means the
 * very model input of the complete file; "undecodable" 422 IMAGE_UNDECODABLE.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildSpecimens,
  DAMAGES,
  damaged,
  extraCases,
  SPECIMENS,
  type SpecimenName,
} from '../../fixtures/damaged.ts';
import { loadConfig } from './config.ts';
import { normaliseImage } from './image.ts';

const options = loadConfig({ SAGEMAKER_ENDPOINT_NAME: 'x' }).normalise;

const EXTRA_CASES = await extraCases();

let specimens: Record<SpecimenName, Buffer>;
const complete = new Map<SpecimenName, Buffer>();

beforeAll(async () => {
  specimens = await buildSpecimens();
  for (const name of SPECIMENS) {
    complete.set(name, (await normaliseImage(specimens[name], 'x', options)).input.body);
  }
});

const table = SPECIMENS.flatMap((specimen) => DAMAGES.map((damage) => ({ specimen, damage })));

describe('the decoding policy, format x damage (normaliseImage)', () => {
  it.each(table)('$specimen, $damage', async ({ specimen, damage }) => {
    const cell = damaged(specimen, specimens[specimen], damage);
    if ('notApplicable' in cell) {
      // The table says why the case does not exist for this format.
      expect(cell.notApplicable).not.toBe('');
      return;
    }
    const outcome = normaliseImage(cell.bytes, 'image[0]', options);
    if (cell.verdict === 'decoded') {
      expect((await outcome).input.body.equals(complete.get(specimen) as Buffer)).toBe(true);
    } else {
      await expect(outcome).rejects.toMatchObject({ code: 'IMAGE_UNDECODABLE', status: 422 });
    }
  });

  it('says which cases do not exist, and why', () => {
    const missing = table
      .map(({ specimen, damage }) => ({
        specimen,
        damage,
        cell: damaged(specimen, specimens[specimen], damage),
      }))
      .filter(({ cell }) => 'notApplicable' in cell)
      .map(
        ({ specimen, damage, cell }) =>
          `${specimen} / ${damage}: ${(cell as { notApplicable: string }).notApplicable}`,
      );
    expect(missing).toEqual([
      'jpeg / bad ancillary CRC: JPEG has no checksums',
      'jpeg progressive / bad ancillary CRC: JPEG has no checksums',
      'webp / bad ancillary CRC: WebP has no checksums',
      'webp lossless / missing end marker: a simple WebP ends with its image data (no end marker)',
      'webp lossless / bad ancillary CRC: WebP has no checksums',
      'gif / bad ancillary CRC: GIF has no checksums',
      'avif / missing end marker: ISO-BMFF boxes carry their sizes (no end marker)',
      'avif / bad ancillary CRC: AVIF has no checksums',
      'tiff / missing end marker: TIFF directories point at their data (no end marker)',
      'tiff / bad ancillary CRC: TIFF has no checksums',
      'tiff tiled / missing end marker: TIFF directories point at their data (no end marker)',
      'tiff tiled / bad ancillary CRC: TIFF has no checksums',
    ]);
  });

  it('a truncated JPEG is refused with the detail it always had', async () => {
    const cell = damaged('jpeg', specimens.jpeg, 'truncated data');
    await expect(
      normaliseImage('bytes' in cell ? cell.bytes : Buffer.alloc(0), 'image[0]', options),
    ).rejects.toMatchObject({
      detail: 'image[0] cannot be decoded as JPEG (corrupt or truncated).',
    });
  });
});

describe('the decoding policy, cases of one format', () => {
  it.each(EXTRA_CASES)('$what: $verdict', async ({ bytes, verdict }) => {
    const outcome = normaliseImage(bytes, 'image[0]', options);
    if (verdict === 'decoded') await expect(outcome).resolves.toBeDefined();
    else await expect(outcome).rejects.toMatchObject({ code: 'IMAGE_UNDECODABLE' });
  });
});
