/**
 * One JSON request to the service on node:http(s), through the keep-alive agents of
 * connections.ts (so directly or through the site's proxy, trusting the same CAs), with a
 * whole-request timeout and an abort signal.
 *
 * Why not got: the agent makes two requests per task on a lone round trip (its lease and its
 * results), and got's layers (option normalisation, hooks, its promise and stream wrappers,
 * timings) cost ~400 µs of CPU and ~0.7 ms of wall time more per request than node:http on the
 * same agent (docs/benchmarks.md, "The lone round trip, step by step"). The agent needs none of
 * them: it never retries here (its loops do), follows no redirects and reads small JSON bodies.
 */
import http from 'node:http';
import https from 'node:https';
import type { Connections } from '@funcx-ts/shared/transport/connections.js';

export interface JsonRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The request body, sent as JSON; none when undefined. */
  json?: unknown;
  headers: Record<string, string>;
  /** The whole request (connect, send, answer) must be done within this many ms. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface JsonResponse {
  statusCode: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body; undefined when the body is empty. */
  body: unknown;
}

/** Why a request got no usable answer; `code` is node's (ECONNREFUSED, a certificate code...) or ours. */
export class JsonRequestFailed extends Error {
  constructor(message: string, readonly code: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Sends `request` to `url`; resolves with any HTTP answer, rejects with JsonRequestFailed when there is none (or it is not JSON). */
export function jsonRequest(connections: Connections, url: URL, request: JsonRequest): Promise<JsonResponse> {
  const secure = url.protocol === 'https:';
  const agents = connections.agentsFor(url);
  const body = request.json === undefined ? undefined : Buffer.from(JSON.stringify(request.json));
  const headers: Record<string, string | number> = { accept: 'application/json', ...request.headers };
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = body.length;
  }
  return new Promise<JsonResponse>((resolve, reject) => {
    const fail = (error: unknown) => {
      clearTimeout(timer);
      const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'ERROR';
      reject(error instanceof JsonRequestFailed ? error : new JsonRequestFailed((error as Error).message, code, { cause: error }));
    };
    const outgoing = (secure ? https : http).request(url, {
      method: request.method,
      headers,
      agent: secure ? agents.https : agents.http,
      ...(secure && connections.trust.ca ? { ca: connections.trust.ca } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', fail);
      // Cut off mid-answer (the timeout, the abort, the connection lost): a no-op once it ended.
      incoming.on('close', () => {
        if (!incoming.complete) fail(new JsonRequestFailed(request.signal?.aborted ? 'aborted' : 'the answer was cut off', 'ECONNRESET'));
      });
      incoming.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text.length === 0 ? undefined : JSON.parse(text);
        } catch (error) {
          // Not the service's answer (an HTML page from a proxy in the way, a cut body).
          fail(new JsonRequestFailed(`the answer (HTTP ${incoming.statusCode}) is not JSON: ${(error as Error).message}`, 'ERR_BODY_PARSE_FAILURE', { cause: error }));
          return;
        }
        resolve({ statusCode: incoming.statusCode ?? 0, statusMessage: incoming.statusMessage ?? '', headers: incoming.headers, body: parsed });
      });
    });
    const timer = setTimeout(() => {
      const timedOut = new JsonRequestFailed(`no answer within ${request.timeoutMs} ms`, 'ETIMEDOUT');
      fail(timedOut);
      outgoing.destroy(timedOut);
    }, request.timeoutMs);
    outgoing.on('error', fail);
    outgoing.end(body);
  });
}
