/**
 * Where each fit puts the image: which region of the source is resampled to
 * what size, and where that lands in the output. Sizes are whole pixels,
 * rounded the way torchvision's Resize and CenterCrop round them, so a
 * `cover` profile with a crop fraction reproduces Resize(256) + CenterCrop(224).
 */
import type { ModelInputProfile } from './profile.ts';
import type { Region } from './resample.ts';

export interface ResizePlan {
  /** The size the whole source is resampled to. */
  readonly scaledWidth: number;
  readonly scaledHeight: number;
  /** The part of the scaled image kept (all of it, unless `cover` crops its centre). */
  readonly window: Region;
  /** The output's size: the profile's box, or smaller/larger for `inside`/`outside`. */
  readonly outWidth: number;
  readonly outHeight: number;
  /** Where the window lands in the output (`contain` pads around it). */
  readonly offsetLeft: number;
  readonly offsetTop: number;
}

/**
 * Scales (width, height) so that the side `by` names becomes `target`
 * exactly and the other keeps the aspect ratio, truncated as torchvision does.
 */
function scaleTo(
  width: number,
  height: number,
  by: 'width' | 'height',
  target: number,
): [number, number] {
  return by === 'width'
    ? [target, Math.max(1, Math.trunc((target * height) / width))]
    : [Math.max(1, Math.trunc((target * width) / height)), target];
}

/** Python's round(): halves go to the even neighbour, as torchvision's CenterCrop rounds. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The plan for an image of `width` x `height` under `profile`. */
export function planResize(
  width: number,
  height: number,
  profile: Pick<ModelInputProfile, 'width' | 'height' | 'resize' | 'cropFraction'>,
): ResizePlan {
  const boxW = profile.width;
  const boxH = profile.height;
  // Which side binds when scaling to fit inside (contain) or to cover the box.
  const widerThanBox = width * boxH >= height * boxW;
  const fitInside = () =>
    widerThanBox ? scaleTo(width, height, 'width', boxW) : scaleTo(width, height, 'height', boxH);
  const whole = (w: number, h: number, outW = w, outH = h): ResizePlan => ({
    scaledWidth: w,
    scaledHeight: h,
    window: { left: 0, top: 0, width: w, height: h },
    outWidth: outW,
    outHeight: outH,
    offsetLeft: Math.trunc((outW - w) / 2),
    offsetTop: Math.trunc((outH - h) / 2),
  });
  switch (profile.resize) {
    case 'fill':
      return whole(boxW, boxH);
    case 'inside': {
      const [w, h] = fitInside();
      return whole(w, h);
    }
    case 'contain': {
      const [w, h] = fitInside();
      return whole(Math.min(w, boxW), Math.min(h, boxH), boxW, boxH);
    }
    case 'outside': {
      const [w, h] = widerThanBox
        ? scaleTo(width, height, 'height', boxH)
        : scaleTo(width, height, 'width', boxW);
      return whole(w, h);
    }
    case 'cover': {
      // Scale so that the box / cropFraction is covered, then keep the centre box.
      const [w, h] = widerThanBox
        ? scaleTo(width, height, 'height', Math.round(boxH / profile.cropFraction))
        : scaleTo(width, height, 'width', Math.round(boxW / profile.cropFraction));
      const scaledWidth = Math.max(w, boxW);
      const scaledHeight = Math.max(h, boxH);
      return {
        scaledWidth,
        scaledHeight,
        window: {
          left: roundHalfEven((scaledWidth - boxW) / 2),
          top: roundHalfEven((scaledHeight - boxH) / 2),
          width: boxW,
          height: boxH,
        },
        outWidth: boxW,
        outHeight: boxH,
        offsetLeft: 0,
        offsetTop: 0,
      };
    }
  }
}
