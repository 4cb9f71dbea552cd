/** Parses JSON stored in a text column; a NULL column gives the fallback. */
export function parseStored<T>(text: string | null | undefined, fallback: T): T {
  if (text == null || text === '') return fallback;
  return JSON.parse(text) as T;
}
