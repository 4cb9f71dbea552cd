"""`pip install ./sdk/python` into a fresh venv, offline, then the installed client talks to the service."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from tests.support import SDK_ROOT, live_settings


class InstallTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="funcx-venv-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.venv = os.path.join(self.dir, "venv")
        subprocess.run([sys.executable, "-m", "venv", self.venv], check=True, capture_output=True, timeout=120)
        self.python = os.path.join(self.venv, "bin", "python")
        # No index at all: the install must need nothing from PyPI (build backend included).
        self.env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONPATH="")

    def pip(self, *args):
        done = subprocess.run([self.python, "-m", "pip", *args], capture_output=True, text=True,
                              env=self.env, timeout=300)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        return done.stdout

    def installed_python(self, code):
        # Run outside the source tree so `import funcx_ts` can only find the installed copy.
        done = subprocess.run([self.python, "-c", code], capture_output=True, text=True, env=self.env,
                              cwd=self.dir, timeout=120)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        return done.stdout

    def test_pip_install_then_use_the_installed_package_then_an_editable_install(self):
        self.pip("install", SDK_ROOT)
        self.assertIn("funcx-ts", self.pip("list"))
        live_settings(need_endpoint=False)  # the installed client configures itself from the same environment
        out = self.installed_python(
            "import funcx_ts, os\n"
            "print(funcx_ts.__file__)\n"
            "fxc = funcx_ts.FuncXClient()\n"
            "print(fxc.version()['api'])\n"
            "print(type(fxc.search_function('')).__name__)\n")
        location, api, kind = out.split()
        self.assertTrue(location.startswith(os.path.join(self.venv, "lib")), location)
        self.assertEqual((api, kind), ("3", "SearchResults"))
        # PEP 561: the installed package says its annotations are to be used.
        self.assertTrue(os.path.isfile(os.path.join(os.path.dirname(location), "py.typed")))
        # Its own import name: nothing installed as `funcx`, so the upstream funcx package can sit beside it.
        self.installed_python("import importlib.util, sys\nsys.exit(importlib.util.find_spec('funcx') is not None)")

        # One venv for both, to keep the test short: an editable install replaces the copy.
        self.pip("install", "--editable", SDK_ROOT)
        out = self.installed_python("import funcx_ts; print(funcx_ts.__file__)")
        self.assertEqual(out.strip(), os.path.join(SDK_ROOT, "funcx_ts", "__init__.py"))


if __name__ == "__main__":
    unittest.main()
