/**
 * `pip install ./sdk/python` (and an editable install) into a fresh venv with
 * no package index, then the installed client calls the live service.
 */
import { serviceTest } from '../helpers/service.js';
import { runPythonSuite } from './support.js';

serviceTest('the Python client installs offline with pip and works from the venv', async (t, live) => {
  await runPythonSuite(t, live, ['test_install']);
});
