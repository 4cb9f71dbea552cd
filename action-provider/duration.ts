/**
 * ISO 8601 durations (P30D, PT1H30M, P1W) as the Actions API uses them for
 * release_after and maximum_deadline. Years and months have no fixed length:
 * they count as 365 and 30 days, which is all a retention period needs.
 */
import { DAY, HOUR, MINUTE, SECOND } from '../src/forParts.js';

const PATTERN = /^P(?!$)(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const UNITS = [365 * DAY, 30 * DAY, 7 * DAY, DAY, HOUR, MINUTE, SECOND];

/** Milliseconds, or undefined when the text is not an ISO 8601 duration. */
export function parseIsoDuration(text: string): number | undefined {
  const match = PATTERN.exec(text);
  if (!match) return undefined;
  return Math.round(UNITS.reduce((total, unit, i) => total + (match[i + 1] ? Number(match[i + 1]) * unit : 0), 0));
}

/** The shortest plain form: 30 days -> P30D, 90 minutes -> PT1H30M, 1.5 s -> PT1.5S. */
export function formatIsoDuration(ms: number): string {
  const days = Math.floor(ms / DAY);
  let rest = ms - days * DAY;
  const hours = Math.floor(rest / HOUR);
  rest -= hours * HOUR;
  const minutes = Math.floor(rest / MINUTE);
  rest -= minutes * MINUTE;
  const seconds = rest / SECOND;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (days === 0 && time === '') return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
