/**
 * Route matching and the request validator: which method of the API a
 * request addresses, and whether it carries the headers that method requires.
 */
import type { Route } from './api-model.ts';
import type { HeaderLookup } from './mapping.ts';
import type { Fault } from './reply.ts';

/** A request path split as API Gateway's default endpoint reads it: `/{stage}{resourcePath}`. */
export interface StagePath {
  readonly stageName: string;
  /** The path after the stage, `/` at least. */
  readonly resourcePath: string;
}

/** Splits `/dev/predict` into stage `dev` and resource path `/predict`. */
export function splitStagePath(pathname: string): StagePath {
  const [, stageName = '', ...rest] = pathname.split('/');
  return { stageName, resourcePath: `/${rest.join('/')}` };
}

/** The method for `resourcePath` and `method` (exact paths: the stack has no path parameters). */
export function findRoute(
  routes: readonly Route[],
  resourcePath: string,
  method: string,
): Route | undefined {
  return routes.find((route) => route.path === resourcePath && route.method === method);
}

/**
 * The request validator: BAD_REQUEST_PARAMETERS naming the required headers
 * that are missing, in API Gateway's words; undefined when none is.
 */
export function validateRequestParameters(
  route: Route,
  requestHeader: HeaderLookup,
): Fault | undefined {
  const missing = route.requiredHeaders.filter((name) => requestHeader(name) === undefined);
  if (missing.length === 0) return undefined;
  return {
    fault: 'BAD_REQUEST_PARAMETERS',
    message: `Missing required request parameters: [${missing.join(', ')}]`,
  };
}
