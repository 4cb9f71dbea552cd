/** Who is calling: a person (user token) or an endpoint agent (endpoint credential). */
export interface UserPrincipal {
  kind: 'user';
  id: string;
  groups: readonly string[];
}

export interface EndpointPrincipal {
  kind: 'endpoint';
  endpointId: string;
  owner: string;
}

export type Principal = UserPrincipal | EndpointPrincipal;

export function sharesGroup(principal: UserPrincipal, groups: readonly string[]): boolean {
  return groups.some((group) => principal.groups.includes(group));
}
