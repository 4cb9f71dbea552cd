/**
 * prom-client's default metrics include three gauges named *_total, which
 * `promtool check metrics` rejects (that suffix means a counter). Their by-type
 * siblings (nodejs_active_handles etc.) carry the same numbers. The service's and the endpoint's
 * registries drop them. Typed by the one method used, so this package needs no prom-client.
 */
export function dropMisnamedDefaults(registry: { removeSingleMetric(name: string): void }): void {
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
}
