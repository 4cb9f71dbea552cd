/**
 * Whether to colour what goes to a stream: only a terminal, and never when NO_COLOR is set to
 * anything but the empty string (https://no-color.org: "regardless of its value", an empty one
 * counting as unset).
 */
export function colourWanted(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}
