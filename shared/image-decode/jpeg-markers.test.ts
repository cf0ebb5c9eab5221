import { describe, expect, it } from 'vitest';
import { loadImage } from '../../fixtures/index.ts';
import { type JpegStructure, readJpegStructure, scansCoverFrame } from './jpeg-markers.ts';

const scan = (components: number[], spectralStart: number, spectralEnd: number, al: number) => ({
  components,
  spectralStart,
  spectralEnd,
  approximationLow: al,
});

const frame = (progressive: boolean, scans: JpegStructure['scans']): JpegStructure => ({
  components: [1, 2, 3],
  progressive,
  scans,
  endOfImage: false,
  end: 0,
});

describe('readJpegStructure', () => {
  it('reads a baseline file: one scan of every component, and its end marker', () => {
    const jpeg = loadImage('small.jpg');
    const structure = readJpegStructure(jpeg);
    expect(structure).toMatchObject({
      components: [1, 2, 3],
      progressive: false,
      endOfImage: true,
      end: jpeg.length,
    });
    expect(structure.scans).toEqual([scan([1, 2, 3], 0, 63, 0)]);
  });

  it('reads a progressive file as several scans', () => {
    const structure = readJpegStructure(loadImage('progressive.jpg'));
    expect(structure.progressive).toBe(true);
    expect(structure.scans.length).toBeGreaterThan(1);
    expect(scansCoverFrame(structure)).toBe(true);
  });

  it('without its end marker: the data ends where the file does', () => {
    const jpeg = loadImage('small.jpg');
    const structure = readJpegStructure(jpeg.subarray(0, jpeg.length - 2));
    expect([structure.endOfImage, structure.end]).toEqual([false, jpeg.length - 2]);
  });

  it('leaves out a marker segment cut short, and a lone 0xFF', () => {
    const jpeg = loadImage('progressive.jpg');
    const secondScan = jpeg.indexOf(
      Buffer.from([0xff, 0xda]),
      jpeg.indexOf(Buffer.from([0xff, 0xda])) + 2,
    );
    expect(readJpegStructure(jpeg.subarray(0, secondScan + 3)).end).toBe(secondScan);
    expect(readJpegStructure(jpeg.subarray(0, secondScan + 1)).end).toBe(secondScan);
  });

  it('stops after EOI: trailing bytes are not the image', () => {
    const jpeg = loadImage('small.jpg');
    const structure = readJpegStructure(Buffer.concat([jpeg, Buffer.from([0xff, 0xda, 0, 0])]));
    expect([structure.endOfImage, structure.end, structure.scans.length]).toEqual([
      true,
      jpeg.length,
      1,
    ]);
  });
});

describe('scansCoverFrame', () => {
  it.each([
    {
      what: 'a baseline scan of all components',
      progressive: false,
      scans: [scan([1, 2, 3], 0, 63, 0)],
      covered: true,
    },
    {
      what: 'sequential scans, one per component',
      progressive: false,
      scans: [scan([1], 0, 63, 0), scan([2], 0, 63, 0), scan([3], 0, 63, 0)],
      covered: true,
    },
    {
      what: 'sequential, a component missing',
      progressive: false,
      scans: [scan([1], 0, 63, 0), scan([2], 0, 63, 0)],
      covered: false,
    },
    {
      what: 'progressive, every band to bit 0',
      progressive: true,
      scans: [scan([1, 2, 3], 0, 0, 0), ...[1, 2, 3].map((c) => scan([c], 1, 63, 0))],
      covered: true,
    },
    {
      what: 'progressive, refinement of the luma AC missing (Al = 1 only)',
      progressive: true,
      scans: [
        scan([1, 2, 3], 0, 0, 0),
        scan([1], 1, 63, 1),
        scan([2], 1, 63, 0),
        scan([3], 1, 63, 0),
      ],
      covered: false,
    },
    {
      what: 'progressive, coefficients 6..63 of chroma missing',
      progressive: true,
      scans: [
        scan([1, 2, 3], 0, 0, 0),
        scan([1], 1, 63, 0),
        scan([2], 1, 5, 0),
        scan([3], 1, 63, 0),
      ],
      covered: false,
    },
    { what: 'no scan at all', progressive: true, scans: [], covered: false },
  ])('$what: $covered', ({ progressive, scans, covered }) => {
    expect(scansCoverFrame(frame(progressive, scans))).toBe(covered);
  });
});
