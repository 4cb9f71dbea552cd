/**
 * AMQP results need both the broker and its management API (src/upstream/amqp/configProblems.ts):
 * one without the other is refused at start-up, in the list of every bad value, and both or neither start.
 */
import test from 'ava';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const AMQP_URL = 'amqp://admin:secret@127.0.0.1:5672/';
const MANAGEMENT_URL = 'http://admin:secret@127.0.0.1:15672';
const TOGETHER = 'FUNCX_AMQP_URL and FUNCX_AMQP_MANAGEMENT_URL go together: set both or neither';

test('FUNCX_AMQP_URL without FUNCX_AMQP_MANAGEMENT_URL (or the other way round) is a config problem listed with the rest', (t) => {
  for (const env of [{ FUNCX_AMQP_URL: AMQP_URL }, { FUNCX_AMQP_MANAGEMENT_URL: MANAGEMENT_URL }]) {
    const error = t.throws(() => loadConfig({ ...env, FUNCX_ACTION_PROVIDER_SCOPE: 'not a uri' }), { instanceOf: ConfigError });
    t.deepEqual(error?.problems, ['FUNCX_ACTION_PROVIDER_SCOPE="not a uri": expected a URI', TOGETHER], JSON.stringify(env));
  }
});

test('both AMQP settings, or neither, pass', (t) => {
  t.like(loadConfig({ FUNCX_AMQP_URL: AMQP_URL, FUNCX_AMQP_MANAGEMENT_URL: MANAGEMENT_URL }), { amqpUrl: AMQP_URL, amqpManagementUrl: MANAGEMENT_URL });
  t.like(loadConfig({}), { amqpUrl: '', amqpManagementUrl: '' });
});
