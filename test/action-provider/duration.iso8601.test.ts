/** ISO 8601 durations as release_after and maximum_deadline use them. */
import test from 'ava';
import { formatIsoDuration, parseIsoDuration } from '../../action-provider/duration.js';
import { DAY, HOUR, MINUTE, SECOND } from '../../src/util/time.js';

test('parses the forms the spec allows, and nothing else', (t) => {
  t.is(parseIsoDuration('P30D'), 30 * DAY);
  t.is(parseIsoDuration('P1W'), 7 * DAY);
  t.is(parseIsoDuration('PT1H30M'), HOUR + 30 * MINUTE);
  t.is(parseIsoDuration('PT0.5S'), 500);
  t.is(parseIsoDuration('P1Y2M3DT4H5M6S'), 365 * DAY + 60 * DAY + 3 * DAY + 4 * HOUR + 5 * MINUTE + 6 * SECOND);
  for (const bad of ['P', 'PT', '30D', 'P30', 'PT1D', 'P1H', 'p30d', '', 'P-1D']) t.is(parseIsoDuration(bad), undefined, bad);
});

test('formats milliseconds in the shortest plain form, which parses back', (t) => {
  const cases: [number, string][] = [[30 * DAY, 'P30D'], [HOUR, 'PT1H'], [90 * MINUTE, 'PT1H30M'], [1500, 'PT1.5S'], [DAY + SECOND, 'P1DT1S'], [0, 'PT0S']];
  for (const [ms, text] of cases) {
    t.is(formatIsoDuration(ms), text);
    t.is(parseIsoDuration(text), ms);
  }
});
