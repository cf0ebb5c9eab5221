import type { Settings } from '#shared/config-kit.ts';
import {
  checkProfileField,
  checkProfileFits,
  type ModelInputProfile,
  PROFILE_FIELDS,
  type ProfileField,
  profileFromSetting,
  type WireEncoding,
} from '#shared/model-input/profile.ts';
import {
  DEFAULTS,
  ENDPOINT_CONTENT_TYPES,
  ENV,
  type EndpointContentType,
  PROFILE_OVERRIDES,
} from '#shared/predict-env.ts';

/** Body types that are the encoded input itself, and the encoding each one is. */
const RAW_BODIES: Readonly<Partial<Record<EndpointContentType, WireEncoding>>> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'application/x-npy': 'npy',
};

const RAW_CONTENT_TYPES: Readonly<Record<WireEncoding, EndpointContentType>> = {
  npy: 'application/x-npy',
  png: 'image/png',
  jpeg: 'image/jpeg',
};

const NUMERIC: ReadonlySet<ProfileField> = new Set([
  'width',
  'height',
  'jpegQuality',
  'cropFraction',
]);

/** The profile MODEL_INPUT_PROFILE names (a built-in) or holds (a JSON object). */
function selectedProfile(read: Settings): ModelInputProfile {
  const value = read.string(ENV.modelInputProfile, DEFAULTS.modelInputProfile);
  return profileFromSetting(value, (field, expected, received) =>
    field === undefined
      ? read.fail(ENV.modelInputProfile, received, expected)
      : read.fail(`${ENV.modelInputProfile} field ${field}`, received, expected),
  );
}

/** One override variable's value, typed as the field wants it. */
function override(read: Settings, field: ProfileField): unknown {
  const name = ENV[PROFILE_OVERRIDES[field]];
  const raw = read.optionalString(name);
  if (raw === undefined) return undefined;
  if (field === 'shrinkOnLoad') return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (!NUMERIC.has(field)) return raw;
  const parsed =
    field === 'cropFraction' ? Number(raw) : /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : raw;
}

export interface InputSettings {
  readonly profile: ModelInputProfile;
  readonly endpointContentType: EndpointContentType;
}

/**
 * The model input profile and the body type the endpoint receives:
 * MODEL_INPUT_PROFILE (the embedded model's by default) with each field
 * overridden by its own variable, and ENDPOINT_CONTENT_TYPE, which defaults
 * to the encoding's own media type. A raw body type decides the encoding; a
 * framed one (x-image, multipart, JSON) carries an image file, so a tensor
 * profile sends PNG (lossless) there unless MODEL_INPUT_ENCODING says npy,
 * which is refused.
 * @throws ConfigError naming the variable, the value and what was expected
 */
export function loadInputSettings(read: Settings): InputSettings {
  const base = selectedProfile(read);
  const fields: Record<string, unknown> = { ...base };
  for (const field of PROFILE_FIELDS) {
    const value = override(read, field);
    if (value === undefined) continue;
    const name = ENV[PROFILE_OVERRIDES[field]];
    fields[field] = checkProfileField(field, value, (_, expected) =>
      read.fail(name, read.optionalString(name), expected),
    );
  }
  const explicitEncoding = read.optionalString(ENV.modelInputEncoding) !== undefined;
  const contentType = read.oneOf<EndpointContentType | ''>(
    ENV.endpointContentType,
    ENDPOINT_CONTENT_TYPES,
    '',
  );
  let encoding = fields.encoding as WireEncoding;
  let endpointContentType: EndpointContentType;
  if (contentType === '') {
    endpointContentType = RAW_CONTENT_TYPES[encoding];
  } else {
    endpointContentType = contentType;
    const raw = RAW_BODIES[contentType];
    if (raw !== undefined && raw !== encoding && explicitEncoding) {
      read.fail(
        ENV.modelInputEncoding,
        encoding,
        `${raw} when ${ENV.endpointContentType} is ${contentType}`,
      );
    }
    if (raw === undefined && encoding === 'npy') {
      if (explicitEncoding) {
        read.fail(
          ENV.modelInputEncoding,
          encoding,
          `png or jpeg when ${ENV.endpointContentType} is ${contentType} (it carries an image file)`,
        );
      }
      encoding = 'png';
    }
    encoding = raw ?? encoding;
  }
  const changed = Object.keys(fields).some(
    (key) => key !== 'name' && fields[key] !== (base as unknown as Record<string, unknown>)[key],
  );
  const profile = Object.freeze({
    ...(fields as unknown as ModelInputProfile),
    encoding,
    // A built-in profile with any field changed is no longer that profile.
    name: changed || encoding !== base.encoding ? `${base.name} (modified)` : base.name,
  });
  checkProfileFits(profile, (_, expected, received) =>
    read.fail(ENV.modelInputEncoding, received, expected),
  );
  return { profile, endpointContentType };
}
