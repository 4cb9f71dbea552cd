/**
 * AbortSignal.any is refused by lint everywhere (eslint.config.js): on Node 20 each signal it
 * makes stays listed on its sources for good, so linking one per request to a long-lived signal
 * leaks (shared/linkedAbortSignal.ts, which unlinks, is used instead).
 */
import test from 'ava';
import { lintAsIfAt, messagesOf } from './lintAsIfAt.js';

const RULE = 'no-restricted-properties';
const text = 'export const stop = (a: AbortSignal, b: AbortSignal) => AbortSignal.any([a, b]);\n';

test('AbortSignal.any is a lint error in the service, the endpoint, the SDK and shared/', async (t) => {
  for (const file of ['src/http/lintFixture.ts', 'endpoint/agent/lintFixture.ts', 'sdk/lintFixture.ts', 'shared/lintFixture.ts']) {
    const messages = messagesOf(await lintAsIfAt(file, text), RULE);
    t.is(messages.length, 1, file);
    t.regex(messages[0] ?? '', /linkedAbortSignal/, file);
  }
});

test('linkedAbortSignal lints clean where AbortSignal.any was refused', async (t) => {
  const clean = "import { linkedAbortSignal } from '@funcx-ts/shared/linkedAbortSignal.js';\nexport const stop = (a: AbortSignal, b: AbortSignal) => linkedAbortSignal([a, b]);\n";
  t.deepEqual(messagesOf(await lintAsIfAt('src/http/lintFixture.ts', clean), RULE), []);
});
