/**
 * What this client runs on, sent with every submit as `user_runtime` (as
 * Globus Compute's SDKs do; schemas/user-runtime.json): the endpoint gets it
 * with each task, and a multi-user endpoint's config template can read it.
 * The platform fields have the meanings of Python's `platform` module.
 */
import os from 'node:os';
import { packageVersion } from './version.js';

export interface UserRuntime {
  sdk: { name: string; version: string };
  node_version: string;
  platform: { architecture: [string, string]; machine: string; node: string; platform: string; processor: string; release: string };
}

let cached: UserRuntime | undefined;

export function userRuntime(): UserRuntime {
  cached ??= {
    sdk: { name: 'funcx-ts', version: packageVersion() },
    node_version: process.version,
    platform: {
      architecture: [process.arch.endsWith('64') ? '64bit' : '32bit', os.platform() === 'linux' ? 'ELF' : ''],
      machine: os.machine(),
      node: os.hostname(),
      platform: `${os.type()}-${os.release()}-${os.machine()}`,
      processor: os.machine(),
      release: os.release(),
    },
  };
  return cached;
}
