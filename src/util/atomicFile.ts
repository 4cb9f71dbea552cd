/** Moved to the shared package (@funcx-ts/shared/atomicFile.ts); this path stays for the service's own imports. */
export * from '@funcx-ts/shared/atomicFile.js';
