/**
 * How `npm start -- -c authorizer=jwt` runs the JWT authorizer on a laptop:
 * with no jwtIssuer, the local gateway is the issuer. The stack is
 * synthesised with the gateway's URL as jwtIssuer, a development issuer
 * (local-issuer.ts) is started once the gateway listens, its JWKS is served
 * at LOCAL_JWKS_PATH, and the authorizer (the deployed code, in-process)
 * fetches it from there. With a jwtIssuer (say a real Cognito user pool),
 * the authorizer verifies that issuer's tokens and no development token is made.
 */
import { AUTHORIZER_ENV, LOCAL_JWKS_PATH } from '#shared/authorizer-env.ts';
import type { ApiModel } from './emulation/api-model.ts';
import { createLocalIssuer, type LocalIssuer } from './local-issuer.ts';

/** The development issuer, the audience its token names, and the token. */
export interface DevelopmentIssuer {
  readonly issuer: LocalIssuer;
  readonly audience: string;
  /** A development token (DEV_TOKEN_LIFETIME). */
  readonly token: string;
}

/**
 * The context to synthesise with: `context`, plus the gateway's URL as
 * jwtIssuer when the JWT authorizer is asked for without one.
 * @param port the gateway's port (0: any; the real URL replaces it once known)
 */
export function localAuthorizerContext(
  context: Readonly<Record<string, unknown>> = {},
  port: number,
): { context: Readonly<Record<string, unknown>>; developmentIssuer: boolean } {
  const developmentIssuer = context.authorizer === 'jwt' && context.jwtIssuer === undefined;
  return developmentIssuer
    ? { context: { ...context, jwtIssuer: `http://127.0.0.1:${port}` }, developmentIssuer }
    : { context, developmentIssuer };
}

/**
 * Starts the development issuer at `url`: its JWKS into `documents`, the
 * authorizer's issuer and JWKS URL into `authorizerEnv`, and a token for
 * the first audience of the template's authorizer function.
 */
export async function startDevelopmentIssuer(
  url: string,
  model: ApiModel,
  authorizerEnv: Record<string, string>,
  documents: Map<string, string>,
): Promise<DevelopmentIssuer> {
  const issuer = await createLocalIssuer(url);
  documents.set(LOCAL_JWKS_PATH, JSON.stringify(issuer.jwks));
  authorizerEnv[AUTHORIZER_ENV.issuer] = url;
  authorizerEnv[AUTHORIZER_ENV.jwksUrl] = `${url}${LOCAL_JWKS_PATH}`;
  const functionId = model.routes.find((route) => route.authorizer)?.authorizer?.functionId;
  const audiences = model.functions.get(functionId ?? '')?.environment[AUTHORIZER_ENV.audience];
  const audience = audiences?.split(',')[0]?.trim() ?? '';
  return { issuer, audience, token: await issuer.sign({ audience }) };
}
