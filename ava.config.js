// FUNCX_TEST_DIST lets a second build (tsc --outDir dist-x) be tested without touching dist/.
const dist = process.env.FUNCX_TEST_DIST ?? 'dist';

export default {
  files: [`${dist}/test/**/*.test.js`],
  timeout: '3m',
  workerThreads: false, // child processes: each test file gets its own process to clean up
  concurrency: 2,
};
