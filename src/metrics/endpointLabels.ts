/**
 * Bounded label values for endpoint ids. Prometheus keeps one series per label
 * value, so an unbounded set of endpoints would grow the scrape without end.
 * The first `max` endpoints this replica sees keep their id as the label; every
 * later one is counted under "other". Admission is for the process's life, so a
 * counter never moves from one label value to another (they stay monotonic).
 */
export const OTHER_ENDPOINTS = 'other';

export class EndpointLabels {
  private readonly admitted = new Set<string>();

  constructor(private readonly max: number) {}

  of(endpointId: string): string {
    if (this.admitted.has(endpointId)) return endpointId;
    if (this.admitted.size < this.max) {
      this.admitted.add(endpointId);
      return endpointId;
    }
    return OTHER_ENDPOINTS;
  }
}
