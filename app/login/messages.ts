/**
 * What the login page says for each sign-in error code next-auth hands back (`?error=` or
 * `signIn()`'s result). Only known codes are worded; anything else gets one generic line, so
 * nothing from the URL is ever echoed onto the page. An unknown account, a wrong password, a
 * locked or inactive account and a throttled address all arrive as CredentialsSignin: the
 * message must not tell them apart (docs/security.md).
 */
const MESSAGES: Record<string, string> = {
  CredentialsSignin: 'Email or password is not correct.',
  Unavailable: 'Sign-in is unavailable: the server cannot reach its database. Try again in a minute; if it persists, tell your administrator.',
  SessionRequired: 'Sign in to continue.',
};

export const GENERIC_SIGN_IN_ERROR = 'Sign-in failed; try again.';

export function signInErrorMessage(code: string | null | undefined): string {
  return (code && Object.hasOwn(MESSAGES, code) && MESSAGES[code]) || GENERIC_SIGN_IN_ERROR;
}
