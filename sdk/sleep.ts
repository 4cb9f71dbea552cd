/** The SDK's one sleep (the shared package's): resolves after `ms`, or at once when `signal` aborts (the caller decides what an abort means). */
export { sleep } from '@funcx-ts/shared/time.js';
