/** One JSON request to the service with a bearer token, as the fleet and idle benches make them. */
import http from 'node:http';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `method urlPath` with `body` as JSON; the parsed answer, or an error naming the request and the answer. */
export async function call(url: string, token: string, method: string, urlPath: string, body?: unknown, signal?: AbortSignal): Promise<Json> {
  const response = await fetch(url + urlPath, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const parsed = await response.json();
  if (response.status >= 300) throw new Error(`${method} ${urlPath}: ${JSON.stringify(parsed)}`);
  return parsed;
}

/**
 * The same request through node:http and a keep-alive `agent`, as the endpoint agent makes its
 * requests (got on an http.Agent that keeps its sockets): a connection stays open between
 * heartbeats 10 s apart, where fetch's pool closes an idle one after 4 s and every heartbeat
 * would pay a new connection (the service keeps idle ones 75 s).
 */
export function callKeptAlive(agent: http.Agent, url: string, token: string, method: string, urlPath: string, body?: unknown, signal?: AbortSignal): Promise<Json> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(url + urlPath, {
      method,
      agent,
      signal,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}) },
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { text += chunk; });
      response.on('error', reject);
      response.on('end', () => {
        try {
          const parsed = JSON.parse(text) as Json;
          if (response.statusCode! >= 300) reject(new Error(`${method} ${urlPath}: ${text.slice(0, 200)}`));
          else resolve(parsed);
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    request.on('error', reject);
    request.end(payload);
  });
}
