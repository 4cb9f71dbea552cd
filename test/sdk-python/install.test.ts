/**
 * `pip install ./sdk/python` (and an editable install) into a fresh venv with
 * no package index, then the installed client calls the live service. SQLite
 * only: the install does not depend on the service's database.
 */
import test from 'ava';
import { startLiveService } from '../helpers/service.js';
import { runPythonSuite } from './support.js';

test('the Python client installs offline with pip and works from the venv', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  await runPythonSuite(t, live, ['test_install']);
});
