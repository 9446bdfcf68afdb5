import { readFile } from 'node:fs/promises';

/** The token librdkafka's oauthbearer_token_refresh_cb hands over. */
export interface OauthbearerToken {
  tokenValue: string;
  /** When the token expires, in ms since the epoch: librdkafka asks again at 80 % of it. */
  lifetime: number;
  principal: string;
}

/**
 * Reads the OAUTHBEARER token (a JWT) from its file each time librdkafka wants one, so a token
 * that a sidecar or a projected service-account volume renews is picked up without a restart.
 * The expiry and principal come from the token's own `exp` and `sub` claims; the signature is
 * the broker's to check.
 */
export async function readOauthbearerToken(file: string): Promise<OauthbearerToken> {
  const tokenValue = (await readFile(file, 'utf8')).trim();
  const payload = tokenValue.split('.')[1];
  if (payload === undefined) throw new Error(`${file} does not hold a JWT (header.payload.signature)`);
  let claims: { exp?: unknown; sub?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown; sub?: unknown };
  } catch (error) {
    throw new Error(`the JWT in ${file} has no JSON payload: ${(error as Error).message}`, { cause: error });
  }
  if (typeof claims.exp !== 'number') throw new Error(`the JWT in ${file} has no numeric exp claim`);
  return { tokenValue, lifetime: claims.exp * 1000, principal: typeof claims.sub === 'string' ? claims.sub : '' };
}
