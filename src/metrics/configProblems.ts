/** FUNCX_METRICS and its token: checks a single option's kind cannot make. */

/** A scrape token shorter than this is too easy to guess. */
export const MIN_METRICS_TOKEN_LENGTH = 16;

export function metricsConfigProblems(values: Record<string, unknown>): string[] {
  const { metrics, metricsToken } = values;
  if (typeof metrics !== 'string' || typeof metricsToken !== 'string') return [];
  if (metrics === 'token' && metricsToken.length < MIN_METRICS_TOKEN_LENGTH) {
    return [`FUNCX_METRICS=token needs FUNCX_METRICS_TOKEN of at least ${MIN_METRICS_TOKEN_LENGTH} characters (it has ${metricsToken.length})`];
  }
  if (metricsToken !== '' && !/^[\x21-\x7e]+$/.test(metricsToken)) return ['FUNCX_METRICS_TOKEN: expected printable characters without spaces'];
  return [];
}
