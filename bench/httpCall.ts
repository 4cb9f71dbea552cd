/** One JSON request to the service with a bearer token, as the fleet and idle benches make them. */

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
