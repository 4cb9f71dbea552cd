/** FUNCX_AMQP_URL and its management API: checks a single option's kind cannot make. */

export function amqpConfigProblems(values: Record<string, unknown>): string[] {
  // Each user's read-only queue credentials are made through the management API: one without the other cannot work.
  if (Boolean(values.amqpUrl) !== Boolean(values.amqpManagementUrl)) return ['FUNCX_AMQP_URL and FUNCX_AMQP_MANAGEMENT_URL go together: set both or neither'];
  return [];
}
