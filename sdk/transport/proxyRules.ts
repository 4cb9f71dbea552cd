/** Moved to the shared package (@funcx-ts/shared/transport/proxyRules.ts); this path stays for the SDK's own imports. */
export * from '@funcx-ts/shared/transport/proxyRules.js';
