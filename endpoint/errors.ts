/** What can go wrong talking to the service, as the agent must treat it. */

/** Network failure, 5xx or 429: retry with backoff, forever. */
export class ServiceUnreachable extends Error {
  readonly code = 'ServiceUnreachable';
  /** The service's error code when it answered (StorageFull, DatabaseUnavailable, ...); undefined when it could not be reached. */
  readonly serviceCode?: string;
  constructor(message: string, readonly retryAfterMs?: number, options?: { cause?: unknown; serviceCode?: string }) {
    super(message, options);
    this.serviceCode = options?.serviceCode;
  }
}

/**
 * How `funcx-endpoint start` exits when the service refused the endpoint's credential: a
 * supervisor must not restart it (systemd: RestartPreventExitStatus=3), as upstream's agent.
 */
export const EXIT_CREDENTIAL_REFUSED = 3;

/** The service refused our credential (401/403): stop with a clear message. */
export class CredentialRefused extends Error {
  readonly code = 'CredentialRefused';
  constructor(message: string, readonly serviceCode: string) {
    super(message);
  }
}

/** Any other 4xx: a bug or bad input; the body's code says which. */
export class ServiceRejected extends Error {
  readonly code = 'ServiceRejected';
  constructor(message: string, readonly status: number, readonly serviceCode: string) {
    super(message);
  }
}
