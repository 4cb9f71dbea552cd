/** Moved to the shared package (@funcx-ts/shared/time.ts); this path stays for the service's own imports. */
export * from '@funcx-ts/shared/time.js';
