/** Moved to the shared package (@funcx-ts/shared/errors.ts); this path stays for the service's own imports. */
export * from '@funcx-ts/shared/errors.js';
