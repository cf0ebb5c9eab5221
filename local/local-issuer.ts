/**
 * `npm start -- -c authorizer=jwt`'s development issuer: a key pair made at
 * start-up (never written anywhere), its public key published as a JWK Set
 * (RFC 7517) that the local gateway serves at LOCAL_JWKS_PATH, and tokens
 * signed with it. The authorizer verifies them exactly as it verifies a
 * Cognito or Auth0 token: it fetches that JWKS over HTTP.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

const ALGORITHM = 'ES256';
const KEY_ID = 'local-development';

/** How long the printed development token lasts. */
export const DEV_TOKEN_LIFETIME = '12h';

/** The subject of development tokens. */
export const DEV_SUBJECT = 'local-developer';

export interface TokenOptions {
  /** `aud`. */
  readonly audience: string;
  /** `exp` as jose reads it: `'12h'`, `'-1m'` (already expired), or epoch seconds. */
  readonly expiresIn?: string | number;
  readonly subject?: string;
}

export interface LocalIssuer {
  /** `iss`. */
  readonly issuer: string;
  /** The JWK Set document (public key only). */
  readonly jwks: { readonly keys: readonly JWK[] };
  /** A token signed by this issuer. */
  sign(options: TokenOptions): Promise<string>;
}

/** A new issuer named `issuer` (the local gateway's URL). */
export async function createLocalIssuer(issuer: string): Promise<LocalIssuer> {
  const { publicKey, privateKey } = await generateKeyPair(ALGORITHM);
  const jwk = { ...(await exportJWK(publicKey)), kid: KEY_ID, alg: ALGORITHM, use: 'sig' };
  return {
    issuer,
    jwks: { keys: [jwk] },
    sign: (options) =>
      new SignJWT({})
        .setProtectedHeader({ alg: ALGORITHM, kid: KEY_ID, typ: 'JWT' })
        .setIssuer(issuer)
        .setSubject(options.subject ?? DEV_SUBJECT)
        .setAudience(options.audience)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? DEV_TOKEN_LIFETIME)
        .sign(privateKey),
  };
}

/** Writes `token` to `file` (owner-only), creating its directory. */
export function writeToken(file: string, token: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
}
