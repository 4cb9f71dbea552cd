/** Who is calling: a person (user token) or an endpoint agent (endpoint credential). */
export interface UserPrincipal {
  kind: 'user';
  id: string;
  groups: readonly string[];
  /** Identity claims (username, email, ...) from the identity provider, for multi-user endpoints' identity mapping. */
  claims?: Readonly<Record<string, string>>;
}

export interface EndpointPrincipal {
  kind: 'endpoint';
  endpointId: string;
  owner: string;
  /** A multi-user endpoint: it leases no task itself (docs/multi-user-endpoints.md). */
  multiUser?: boolean;
  /** A per-user endpoint: it leases only this user's tasks with these settings, of its multi-user endpoint. */
  userEndpointOf?: { parentId: string; identity: string; userConfigKey: string };
}

export type Principal = UserPrincipal | EndpointPrincipal;

export function sharesGroup(principal: UserPrincipal, groups: readonly string[]): boolean {
  return groups.some((group) => principal.groups.includes(group));
}
