import { describe, expect, it } from 'vitest';
import { mustBe } from '../config-kit.ts';
import { NSFWJS_MOBILENET_V2_PROFILE, type ProfileFail, parseProfile } from './profile.ts';

const fail: ProfileFail = (field, expected, value) => mustBe(`profile.${field}`, expected, value);

describe('parseProfile', () => {
  it('applies the documented defaults to a minimal profile', () => {
    expect(parseProfile({ width: 299, height: 299 }, 'mine', fail)).toEqual({
      name: 'mine',
      width: 299,
      height: 299,
      resize: 'fill',
      cropFraction: 1,
      resample: 'bilinear',
      shrinkOnLoad: false,
      background: '#ffffff',
      encoding: 'png',
      jpegQuality: 90,
      chromaSubsampling: '4:4:4',
    });
  });

  it('reads back the embedded profile from its own fields', () => {
    const { name, ...fields } = NSFWJS_MOBILENET_V2_PROFILE;
    expect(parseProfile(fields, name, fail)).toEqual(NSFWJS_MOBILENET_V2_PROFILE);
  });

  it.each([
    {
      json: { height: 224 },
      message: 'profile.width must be an integer from 1 to 4096, but received undefined',
    },
    {
      json: { width: 224, height: 5000 },
      message: 'profile.height must be an integer from 1 to 4096, but received 5000',
    },
    {
      json: { width: 1, height: 1, resize: 'crop' },
      message:
        'profile.resize must be one of fill, cover, contain, inside, outside, but received "crop"',
    },
    {
      json: { width: 1, height: 1, resample: 'lanczos3' },
      message:
        'profile.resample must be one of bilinear-align-corners, bilinear, bilinear-antialias, but received "lanczos3"',
    },
    {
      json: { width: 1, height: 1, cropFraction: 0 },
      message: 'profile.cropFraction must be a number greater than 0 and at most 1, but received 0',
    },
    {
      json: { width: 1, height: 1, background: 'white' },
      message: 'profile.background must be a colour as #rrggbb, but received "white"',
    },
    {
      json: { width: 1, height: 1, encoding: 'webp' },
      message: 'profile.encoding must be one of npy, png, jpeg, but received "webp"',
    },
    {
      json: { width: 1, height: 1, jpegQuality: 0 },
      message: 'profile.jpegQuality must be an integer from 1 to 100, but received 0',
    },
  ])('checks $json', ({ json, message }) => {
    if (message === undefined) expect(parseProfile(json, 'x', fail).encoding).toBe('npy');
    else expect(() => parseProfile(json, 'x', fail)).toThrowError(message);
  });
});
