// The errors a connector's HTTP client raises, shared so the runner and the CLI can tell a
// wrong credential (retrying will not help) from a rate limit (the next run may succeed).
/** The source answered with an error, or could not be reached; `request` names the call. */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly request: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
/** The credential is missing, wrong or lacks access: retrying will not help. */
export class AuthError extends SourceError {}
/** Still rate limited after the allowed retries, or asked to wait longer than allowed; the runner may come back later. */
export class RateLimitedError extends SourceError {
  constructor(message: string, request: string, status: number, readonly retryAfterMs: number | null) {
    super(message, request, status);
  }
}
