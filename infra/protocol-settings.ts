/**
 * The endpoint protocol settings of the CDK context (issue 16): checked
 * where their values are a closed set, and turned into the predict
 * function's environment by config key.
 */
import type { Settings } from '#shared/config-kit.ts';
import { isFieldPattern } from '#shared/custom-attributes.ts';
import { isJsonPointer } from '#shared/endpoint-protocol/json-pointer.ts';
import {
  BODY_ENCODINGS,
  DEFAULT_ENDPOINT_PROTOCOL,
  ENDPOINT_PROTOCOLS,
  OUTPUT_MODES,
  TRITON_TENSOR_MODES,
} from '#shared/endpoint-protocol/presets.ts';
import { type ConfigKey, DEFAULTS, MAX_TOP_K } from '#shared/predict-env.ts';
import type { ContextKey } from './settings.ts';

/** Context key -> the handler's config key, for the protocol settings passed through. */
const PROTOCOL_CONTEXT = {
  endpointProtocol: 'endpointProtocol',
  forwardFields: 'forwardFields',
  endpointAccept: 'endpointAccept',
  endpointBodyEncoding: 'endpointBodyEncoding',
  endpointContentType: 'endpointContentType',
  endpointMultipartField: 'endpointMultipartField',
  endpointJsonTemplate: 'endpointJsonTemplate',
  tritonTensorMode: 'tritonTensorMode',
  tritonInputName: 'tritonInputName',
  tritonOutputName: 'tritonOutputName',
  outputMode: 'modelOutputMode',
  scoresPointer: 'modelScoresPointer',
  labelsPointer: 'modelLabelsPointer',
  labels: 'modelLabels',
  labelsFile: 'modelLabelsFile',
  topK: 'topK',
} as const satisfies Partial<Record<ContextKey, ConfigKey>>;

/**
 * The protocol settings set in context, checked here where they have a
 * closed set of values (the handler checks the rest at cold start with the
 * same rules), as the function's environment. Unset keys are left out, so
 * the handler's defaults apply. A JSON array (cdk.json) of labels or fields
 * is passed on as JSON or comma-joined.
 */
export function protocolEnvironment(settings: Settings): Partial<Record<ConfigKey, string>> {
  const environment: Partial<Record<ConfigKey, string>> = {};
  const choice = (key: ContextKey, allowed: readonly string[]) => {
    const value = settings.optionalString(key) ?? '';
    if (value !== '' && !allowed.includes(value)) {
      settings.fail(key, value, `one of ${allowed.join(', ')}`);
    }
    return value;
  };
  const checks: Partial<Record<ContextKey, () => string>> = {
    endpointProtocol: () =>
      settings.oneOf('endpointProtocol', ENDPOINT_PROTOCOLS, DEFAULT_ENDPOINT_PROTOCOL),
    endpointBodyEncoding: () => choice('endpointBodyEncoding', BODY_ENCODINGS),
    tritonTensorMode: () => choice('tritonTensorMode', TRITON_TENSOR_MODES),
    outputMode: () => choice('outputMode', OUTPUT_MODES),
    forwardFields: () => {
      const entries = settings.list('forwardFields', []);
      const wrong = entries.find((entry) => !isFieldPattern(entry));
      if (wrong !== undefined) {
        settings.fail('forwardFields', wrong, 'field names, or prefixes ending in * (no spaces)');
      }
      return entries.join(',');
    },
    topK: () => String(settings.integer('topK', DEFAULTS.topK, 1, MAX_TOP_K)),
    labels: () => {
      const value = settings.source.get('labels');
      return Array.isArray(value) ? JSON.stringify(value) : settings.string('labels', '');
    },
  };
  for (const key of ['scoresPointer', 'labelsPointer'] as const) {
    checks[key] = () => {
      const value = settings.string(key, '');
      if (value !== '' && !isJsonPointer(value)) {
        settings.fail(key, value, 'a JSON Pointer (RFC 6901) such as /predictions/0/probabilities');
      }
      return value;
    };
  }
  for (const [key, configKey] of Object.entries(PROTOCOL_CONTEXT) as Array<
    [keyof typeof PROTOCOL_CONTEXT, ConfigKey]
  >) {
    const value = (checks[key] ?? (() => settings.string(key, '')))();
    if (settings.source.get(key) !== undefined && value !== '') environment[configKey] = value;
  }
  return environment;
}
