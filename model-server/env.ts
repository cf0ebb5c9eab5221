/**
 * Environment variables of the model server and their defaults: the one
 * list the config loader, the Dockerfile and model-server/README.md use.
 */
import { SAGEMAKER_CONTAINER_TIMEOUT_MS } from '#shared/aws-facts.ts';
import {
  DEFAULT_ENDPOINT_PROTOCOL,
  MODEL_SERVER_PROTOCOL_ENV,
} from '#shared/endpoint-protocol/presets.ts';

export const MODEL_SERVER_ENV = {
  /** Port of the HTTP server (SageMaker requires 8080 in a container). */
  port: 'PORT',
  /** Interface to bind: 127.0.0.1 on a laptop; the Dockerfile sets 0.0.0.0. */
  host: 'HOST',
  /** `local` also serves the SageMaker Runtime API; `container` only the container contract. */
  mode: 'MODEL_SERVER_MODE',
  /** `on` honours `fault-*` custom attributes per request (local mode only): for tests. */
  localFaults: 'LOCAL_FAULTS',
  /** Path of the classifier.json describing the model to serve. */
  modelConfig: 'MODEL_CONFIG',
  /** Endpoint names the local SageMaker Runtime API answers for (comma-separated). */
  endpointNames: 'LOCAL_ENDPOINT_NAMES',
  /** Production variant name the local Runtime API reports. */
  variantName: 'LOCAL_VARIANT_NAME',
  /** How long the local Runtime API waits for the model before answering ModelError. */
  invocationTimeoutMs: 'INVOCATION_TIMEOUT_MS',
  /** onnxruntime intra-op threads; 0 lets onnxruntime choose (one per core). */
  modelThreads: 'MODEL_THREADS',
  /** Most images one invocation may carry (JSON instances or multipart parts). */
  maxBatchSize: 'MAX_BATCH_SIZE',
  /**
   * The container family whose request and response contract the server
   * presents (shared/endpoint-protocol/presets.ts); `npm start` sets it from
   * the CDK context `endpointProtocol`.
   */
  protocol: MODEL_SERVER_PROTOCOL_ENV,
  /** Fault injection, off by default: see faults.ts. */
  faultLatencyMs: 'FAULT_LATENCY_MS',
  faultStatus: 'FAULT_STATUS',
  faultCrash: 'FAULT_CRASH',
  faultRuntimeError: 'FAULT_RUNTIME_ERROR',
  faultPingDelayMs: 'FAULT_PING_DELAY_MS',
  faultLoadDelayMs: 'FAULT_LOAD_DELAY_MS',
} as const;

export type ModelServerEnvKey = keyof typeof MODEL_SERVER_ENV;

export const SERVER_MODES = ['local', 'container'] as const;
export type ServerMode = (typeof SERVER_MODES)[number];

/** Values of LOCAL_FAULTS. */
export const SWITCH_VALUES = ['on', 'off'] as const;

export const MODEL_SERVER_DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  mode: 'local',
  /** Off: any client could otherwise make the server fail or exit (`fault-crash=exit`). */
  localFaults: 'off',
  endpointNames: ['image-moderation'] as readonly string[],
  /** The variant name SageMaker's SDKs give a single-variant endpoint. */
  variantName: 'AllTraffic',
  /** SageMaker's own limit for a container's answer. */
  invocationTimeoutMs: SAGEMAKER_CONTAINER_TIMEOUT_MS,
  modelThreads: 0,
  maxBatchSize: 16,
  protocol: DEFAULT_ENDPOINT_PROTOCOL,
} as const satisfies Partial<Record<ModelServerEnvKey, unknown>>;
