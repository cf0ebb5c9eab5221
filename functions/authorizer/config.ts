import { AUTHORIZER_ENV, defaultJwksUrl } from '#shared/authorizer-env.ts';
import { environment, Settings } from '#shared/config-kit.ts';

/** What the authorizer verifies tokens against. */
export interface AuthorizerConfig {
  /** The exact `iss` a token must carry. */
  readonly issuer: string;
  /** A token's `aud` must name at least one of these. */
  readonly audience: readonly string[];
  /** The issuer's JWK Set. */
  readonly jwksUrl: URL;
}

const URL_RULE = 'an absolute http(s) URL';

function url(settings: Settings, name: string, value: string): URL {
  try {
    const parsed = new URL(value);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return parsed;
  } catch {
    // Falls through to the message naming the variable.
  }
  return settings.fail(name, value, URL_RULE);
}

/**
 * Reads the authorizer's settings once, at cold start.
 * @throws ConfigError "Environment variable JWT_ISSUER must be …, but received …"
 */
export function loadAuthorizerConfig(
  env: Readonly<Record<string, string | undefined>>,
): AuthorizerConfig {
  const settings = new Settings(environment(env));
  const issuer = settings.string(AUTHORIZER_ENV.issuer, '');
  url(settings, AUTHORIZER_ENV.issuer, issuer);
  const audience = settings.list(AUTHORIZER_ENV.audience, []);
  if (audience.length === 0) {
    settings.fail(AUTHORIZER_ENV.audience, env[AUTHORIZER_ENV.audience], 'one audience or more');
  }
  const jwksUrl = settings.string(AUTHORIZER_ENV.jwksUrl, '') || defaultJwksUrl(issuer);
  return { issuer, audience, jwksUrl: url(settings, AUTHORIZER_ENV.jwksUrl, jwksUrl) };
}
