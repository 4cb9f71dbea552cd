/**
 * What the multi-user endpoint tells the launcher (launcher.ts) on its stdin,
 * and the launcher's own exit code. Apart from launcher.ts, which is a
 * program: importing it would run it.
 */
import type { EndpointIdentity } from '../identity.js';

export interface LaunchOrders {
  user: string;
  uid: number;
  gid: number;
  home: string;
  umask: number;
  funcxHome: string;
  endpointName: string;
  config: Record<string, unknown>;
  identity: EndpointIdentity;
}

/** Exit codes the multi-user endpoint reads as "could not become the user" (never a task's fault). */
export const LAUNCH_FAILED = 121;

