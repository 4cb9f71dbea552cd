/** Moved to the shared package (@funcx-ts/shared/json.ts); this path stays for the service's own imports. */
export * from '@funcx-ts/shared/json.js';
