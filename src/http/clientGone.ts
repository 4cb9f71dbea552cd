import type { ServerResponse } from 'node:http';

/** Fires when the client hangs up before its response is sent, so a long-poll stops waiting (and leases nothing more). */
export function abortOnClientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
