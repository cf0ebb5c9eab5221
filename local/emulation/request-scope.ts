/**
 * What the local gateway knows about one request, carried as one object
 * instead of long parameter lists. It grows in two steps, each a new object
 * (nothing is mutated): on arrival, then once the stage, the method and the
 * API key are known. The body is not in it; it is read once and passed
 * alongside, never copied.
 */
import type { Route, Stage } from './api-model.ts';
import type { HeaderLookup, MappingContext } from './mapping.ts';
import type { Admission } from './usage-plans.ts';

/** A request as it arrives. */
export interface RequestScope {
  readonly method: string;
  readonly url: URL;
  /** Header names and values alternating, client casing kept (`IncomingMessage.rawHeaders`). */
  readonly rawHeaders: readonly string[];
  /** Case-insensitive request header lookup; repeated headers joined with commas. */
  readonly header: HeaderLookup;
  /** Epoch milliseconds at arrival, from the gateway's clock. */
  readonly requestTime: number;
  /** `$context` for mappings; `apiKeyId` is '' until a key is matched. */
  readonly mapping: MappingContext;
  /** The X-Ray trace id API Gateway would give the request if it carries none. */
  readonly traceId?: string;
}

/** A request matched to a stage and a method, after the API key and throttle checks. */
export interface RouteScope extends RequestScope {
  readonly stage: Stage;
  readonly route: Route;
  /** The key presented when the method requires one and it was admitted; null otherwise. */
  readonly apiKey: string | null;
  /** What the method's Lambda authorizer returned (principalId, context); undefined without one. */
  readonly authorizer?: Readonly<Record<string, unknown>>;
}

/** The scope once `route` on `stage` is matched and the usage plans have decided. */
export function routeScope(
  request: RequestScope,
  stage: Stage,
  route: Route,
  admission: Admission,
): RouteScope {
  return {
    ...request,
    stage,
    route,
    apiKey: admission.admitted ? admission.apiKey : null,
    mapping:
      admission.apiKeyId === ''
        ? request.mapping
        : { ...request.mapping, apiKeyId: admission.apiKeyId },
  };
}
