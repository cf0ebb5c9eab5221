// @ts-check
/**
 * The bearer token field: a JWT for APIs deployed with the JWT authorizer
 * (`-c authorizer=jwt`; `npm start -- -c authorizer=jwt` prints one and
 * writes it to .cache/local-token). Kept in this tab's sessionStorage only,
 * like the API key; sent as `Authorization: Bearer <token>` when set.
 */

/** sessionStorage key of the token. */
export const TOKEN_STORAGE_KEY = 'image-inference-gateway.token';

/** @returns {HTMLInputElement | null} */
function tokenInput() {
  return /** @type {HTMLInputElement | null} */ (document.getElementById('token'));
}

/** Restores the token of this tab and keeps it as it is edited. */
export function setUpTokenField() {
  const input = tokenInput();
  if (input === null) return;
  input.value = sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? '';
  input.addEventListener('change', () =>
    sessionStorage.setItem(TOKEN_STORAGE_KEY, input.value.trim()),
  );
}

/**
 * The Authorization header value, or undefined when no token is set. A
 * pasted `Bearer …` is taken as it is.
 * @returns {string | undefined}
 */
export function authorizationHeader() {
  const token =
    tokenInput()
      ?.value.trim()
      .replace(/^Bearer\s+/i, '') ?? '';
  return token === '' ? undefined : `Bearer ${token}`;
}
