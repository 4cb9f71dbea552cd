/** Why a login did not produce tokens; `code` is stable for callers to switch on. */
export class LoginFailed extends Error {
  readonly code = 'LoginFailed';
}
