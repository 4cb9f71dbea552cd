/** Calls to the service's own API with the signed-in token: the console sees exactly what the API shows this user. */
export interface ApiError { status: number; code: string; reason: string }

const TOKEN_KEY = 'funcx-console-token';

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const bearer = token.get();
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const parsed = await response.json().catch(() => ({}));
  // A token the service no longer takes (expired, revoked): forget it, and let the page ask to sign in again.
  if (response.status === 401 && bearer) {
    token.clear();
    window.dispatchEvent(new Event('funcx-signed-out'));
  }
  if (!response.ok) throw { status: response.status, code: parsed.code ?? `HTTP${response.status}`, reason: parsed.reason ?? response.statusText } as ApiError;
  return parsed as T;
}
