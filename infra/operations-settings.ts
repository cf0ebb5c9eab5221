/**
 * The operations settings of the CDK context (issue 18): the JWT authorizer
 * in front of the API and where alarm notifications are emailed.
 */
import type { Settings } from '#shared/config-kit.ts';
import { CONTEXT_DEFAULTS } from './settings.ts';

/** Which authorizer the API has (`authorizer`). */
export const AUTHORIZERS = ['none', 'jwt'] as const;

/** The JWT authorizer's settings (`-c authorizer=jwt`). */
export interface JwtAuthorizerSettings {
  readonly issuer: string;
  readonly audience: readonly string[];
  /** undefined: `<issuer>/.well-known/jwks.json`. */
  readonly jwksUrl: string | undefined;
  readonly cacheTtlSeconds: number;
}

const JWT_KEYS = ['jwtIssuer', 'jwtAudience', 'jwtJwksUrl', 'authorizerCacheTtlSeconds'] as const;
/** https, or plain http to this machine (the local gateway's development issuer). */
const ISSUER_URL = /^(https:\/\/[^\s/]+|http:\/\/(127\.0\.0\.1|localhost)(:\d+)?)(\/\S*)?$/;
const URL_RULE = 'an https:// URL (or http://127.0.0.1 or http://localhost for npm start)';

/**
 * `authorizer` and the JWT keys: undefined for API keys only (the JWT keys
 * must then be left out), else the JWT authorizer's settings.
 */
export function authorizer(settings: Settings): JwtAuthorizerSettings | undefined {
  if (settings.oneOf('authorizer', AUTHORIZERS, 'none') === 'none') {
    for (const key of JWT_KEYS) {
      const value = settings.source.get(key);
      if (value !== undefined) settings.fail(key, value, 'left out while authorizer is none');
    }
    return undefined;
  }
  const issuer = settings.string('jwtIssuer', CONTEXT_DEFAULTS.jwtIssuer);
  if (!ISSUER_URL.test(issuer)) settings.fail('jwtIssuer', issuer, URL_RULE);
  const jwksUrl = settings.string('jwtJwksUrl', CONTEXT_DEFAULTS.jwtJwksUrl);
  if (jwksUrl !== '' && !ISSUER_URL.test(jwksUrl)) settings.fail('jwtJwksUrl', jwksUrl, URL_RULE);
  const audience = settings.list('jwtAudience', [CONTEXT_DEFAULTS.jwtAudience]);
  if (audience.length === 0) settings.fail('jwtAudience', '', 'one audience or more');
  return {
    issuer,
    audience,
    jwksUrl: jwksUrl || undefined,
    // API Gateway's range. Source: AWS::ApiGateway::Authorizer, AuthorizerResultTtlInSeconds.
    cacheTtlSeconds: settings.integer(
      'authorizerCacheTtlSeconds',
      Number(CONTEXT_DEFAULTS.authorizerCacheTtlSeconds),
      0,
      3600,
    ),
  };
}

/** `alarmEmail`: an email address, or undefined when none is set. */
export function alarmEmail(settings: Settings): string | undefined {
  const value = settings.string('alarmEmail', CONTEXT_DEFAULTS.alarmEmail);
  if (value === '') return undefined;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value))
    settings.fail('alarmEmail', value, 'an email address');
  return value;
}
