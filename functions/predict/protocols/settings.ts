import { SAGEMAKER_ACCEPT_MAX_CHARS } from '#shared/aws-facts.ts';
import type { Settings } from '#shared/config-kit.ts';
import { type FieldAllowlist, fieldAllowlist, isFieldPattern } from '#shared/custom-attributes.ts';
import { isJsonPointer, parseJsonPointer } from '#shared/endpoint-protocol/json-pointer.ts';
import {
  BODY_ENCODINGS,
  type EndpointProtocol,
  OUTPUT_MODES,
  PROTOCOL_PRESETS,
  TRITON_TENSOR_MODES,
} from '#shared/endpoint-protocol/presets.ts';
import { checkProfileFits, type ModelInputProfile } from '#shared/model-input/profile.ts';
import { DEFAULTS, ENV, type EndpointContentType, MAX_TOP_K } from '#shared/predict-env.ts';
import type { AnswerReading } from '../output.ts';
import { type Decoder, jsonDecoder, tritonDecoder } from './answer.ts';
import { loadLabels } from './labels.ts';
import { createEncoder, type Encoder, type RequestSpec, splitTemplate } from './request.ts';

/** The endpoint's protocol, resolved once at cold start. */
export interface EndpointAdapter {
  /** The preset the settings start from. */
  readonly name: EndpointProtocol;
  readonly request: RequestSpec;
  readonly reading: AnswerReading;
  /** Frames one encoded input as the container wants it. */
  readonly encode: Encoder;
  /** Reads one answer. */
  readonly decode: Decoder;
}

/** A media type as a header carries it: `type/subtype`, optional parameters, visible ASCII. */
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w.+-]+=[\x21-\x7e]+)*$/;
/** InvokeEndpoint's Accept: visible ASCII, at most SAGEMAKER_ACCEPT_MAX_CHARS characters. */
const ACCEPT = new RegExp(`^[\\x20-\\x7e]{1,${SAGEMAKER_ACCEPT_MAX_CHARS}}$`);
/** A form field or tensor name: 1..256 visible characters, no quote. */
const NAME = /^[^\s"]{1,256}$/;

/** Body types of ENDPOINT_CONTENT_TYPE under `raw-image`, as the gateway framed them before presets. */
function legacyBody(contentType: EndpointContentType): Pick<RequestSpec, 'body' | 'contentType'> {
  switch (contentType) {
    case 'application/json':
      return { body: 'json', contentType: undefined };
    case 'multipart/form-data':
      return { body: 'multipart', contentType: undefined };
    case 'application/x-image':
      return { body: 'raw', contentType };
    default:
      return { body: 'raw', contentType: undefined };
  }
}

function text(read: Settings, name: string, fallback: string, pattern: RegExp, expected: string) {
  const value = read.string(name, fallback);
  if (!pattern.test(value)) read.fail(name, value, expected);
  return value;
}

function pointer(read: Settings, name: string, fallback: string): readonly string[] | undefined {
  const value = read.string(name, fallback);
  if (value === '') return undefined;
  if (!isJsonPointer(value)) {
    read.fail(name, value, 'a JSON Pointer (RFC 6901) such as /predictions/0/probabilities');
  }
  return parseJsonPointer(value);
}

export interface ProtocolInput {
  readonly profile: ModelInputProfile;
  /** ENDPOINT_CONTENT_TYPE as the input settings read it (raw-image without a body encoding). */
  readonly endpointContentType: EndpointContentType;
}

/**
 * The request and answer settings of ENDPOINT_PROTOCOL (default
 * `raw-image`, today's body from the profile and ENDPOINT_CONTENT_TYPE),
 * each overridden by its fine-grained variable, and the profile with the
 * wire encoding the body needs (a tensor body sends `npy`, an image body
 * `png` unless MODEL_INPUT_ENCODING says otherwise; a contradiction is refused).
 * @throws ConfigError naming the variable, the value and what was expected
 */
export function loadProtocol(
  read: Settings,
  name: EndpointProtocol,
  input: ProtocolInput,
  legacy: boolean,
): { adapter: EndpointAdapter; profile: ModelInputProfile } {
  const preset = PROTOCOL_PRESETS[name];
  const framing = legacy
    ? legacyBody(input.endpointContentType)
    : {
        body: read.oneOf(ENV.endpointBodyEncoding, BODY_ENCODINGS, preset.body),
        contentType:
          read.optionalString(ENV.endpointContentType) === undefined
            ? preset.contentType
            : text(
                read,
                ENV.endpointContentType,
                '',
                MEDIA_TYPE,
                'a media type such as image/x-image',
              ),
      };
  const jsonTemplate = read.string(ENV.endpointJsonTemplate, preset.jsonTemplate);
  const split = splitTemplate(jsonTemplate);
  if (framing.body === 'json' && split === undefined) {
    read.fail(
      ENV.endpointJsonTemplate,
      jsonTemplate,
      'JSON with exactly one "{{base64}}" or "{{tensor}}" placeholder',
    );
  }
  const request: RequestSpec = {
    ...framing,
    accept: text(
      read,
      ENV.endpointAccept,
      preset.accept,
      ACCEPT,
      `1 to ${SAGEMAKER_ACCEPT_MAX_CHARS} visible ASCII characters`,
    ),
    multipartField: text(
      read,
      ENV.endpointMultipartField,
      preset.multipartField,
      NAME,
      'a field name of 1 to 256 characters without spaces or quotes',
    ),
    jsonTemplate,
    tritonTensorMode: read.oneOf(
      ENV.tritonTensorMode,
      TRITON_TENSOR_MODES,
      preset.tritonTensorMode,
    ),
    tritonInputName: text(
      read,
      ENV.tritonInputName,
      preset.tritonInputName,
      NAME,
      'a tensor name of 1 to 256 characters without spaces or quotes',
    ),
    tritonOutputName: text(
      read,
      ENV.tritonOutputName,
      preset.tritonOutputName,
      NAME,
      'a tensor name of 1 to 256 characters without spaces or quotes',
    ),
    batchDimension: preset.batchDimension,
  };
  const scoresAt = pointer(read, ENV.modelScoresPointer, preset.scoresPointer);
  const labelsAt = pointer(read, ENV.modelLabelsPointer, preset.labelsPointer);
  if (labelsAt !== undefined && scoresAt === undefined) {
    read.fail(
      ENV.modelLabelsPointer,
      read.optionalString(ENV.modelLabelsPointer),
      `left out unless ${ENV.modelScoresPointer} is set`,
    );
  }
  const reading: AnswerReading = {
    mode: read.oneOf(ENV.modelOutputMode, OUTPUT_MODES, preset.output),
    labels: loadLabels(read),
    topK: read.integer(ENV.topK, DEFAULTS.topK, 1, MAX_TOP_K),
    reportShortTopK: read.optionalString(ENV.topK) !== undefined,
    scoresAt,
    labelsAt,
  };
  const profile = legacy
    ? input.profile
    : wireProfile(read, name, request, preset.pixels, input.profile);
  const adapter: EndpointAdapter = {
    name,
    request,
    reading,
    encode: createEncoder(request),
    decode:
      request.body === 'triton'
        ? tritonDecoder(request.tritonOutputName, reading)
        : jsonDecoder(reading),
  };
  return { adapter: Object.freeze(adapter), profile };
}

/** The profile with the wire encoding the body carries. */
function wireProfile(
  read: Settings,
  name: EndpointProtocol,
  request: RequestSpec,
  pixels: 'tensor' | 'image' | 'profile',
  profile: ModelInputProfile,
): ModelInputProfile {
  const wants =
    request.body === 'triton'
      ? 'tensor'
      : request.body === 'json'
        ? splitTemplate(request.jsonTemplate)?.placeholder === 'tensor'
          ? 'tensor'
          : 'image'
        : request.body === 'raw'
          ? pixels
          : 'image';
  const explicit = read.optionalString(ENV.modelInputEncoding) !== undefined;
  const why = `when ${ENV.endpointProtocol} is ${name} with ${ENV.endpointBodyEncoding} ${request.body}`;
  let encoding = profile.encoding;
  if (wants === 'tensor' && encoding !== 'npy') {
    if (explicit) read.fail(ENV.modelInputEncoding, encoding, `npy ${why} (it carries a tensor)`);
    encoding = 'npy';
  } else if (wants === 'image' && encoding === 'npy') {
    if (explicit) {
      read.fail(ENV.modelInputEncoding, encoding, `png or jpeg ${why} (it carries an image file)`);
    }
    encoding = 'png';
  }
  if (encoding === profile.encoding) return profile;
  const changed = Object.freeze({
    ...profile,
    encoding,
    name: profile.name.endsWith(' (modified)') ? profile.name : `${profile.name} (modified)`,
  });
  checkProfileFits(changed, (_, expected, received) =>
    read.fail(ENV.modelInputEncoding, received, expected),
  );
  return changed;
}

/**
 * FORWARD_FIELDS: the form fields forwarded as custom attributes (names,
 * or prefixes ending in `*`); none by default.
 * @throws ConfigError for an entry with spaces or a `*` before its end
 */
export function loadForwardFields(read: Settings): FieldAllowlist {
  const entries = read.list(ENV.forwardFields, DEFAULTS.forwardFields);
  for (const entry of entries) {
    if (!isFieldPattern(entry)) {
      read.fail(
        ENV.forwardFields,
        entry,
        'field names, or prefixes ending in * (no spaces; * only at the end), comma-separated',
      );
    }
  }
  return fieldAllowlist(entries);
}
