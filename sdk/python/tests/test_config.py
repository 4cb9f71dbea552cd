"""Where FuncXClient finds the service: arguments, environment, quickstart.json."""
import json
import os
import shutil
import tempfile
import unittest
from unittest import mock

from funcx_ts import ConfigurationError, FuncXClient
from funcx_ts.config import resolve
from tests.support import endpoint_id, live_settings, wait_done


def hello_world():
    return "Hello World!"


class ResolveTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="funcx-config-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.cwd = os.path.join(self.dir, "project")
        self.user_home = os.path.join(self.dir, "user")

    def write_quickstart(self, folder, **content):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "quickstart.json"), "w") as f:
            json.dump(content, f)

    def test_arguments_beat_the_environment_which_beats_the_file(self):
        self.write_quickstart(os.path.join(self.cwd, ".funcx"), service_url="http://file", token="file-token")
        env = {"FUNCX_SERVICE_URL": "http://env/", "FUNCX_TOKEN": "env-token"}
        settings = resolve(env=env, cwd=self.cwd, user_home=self.user_home)
        self.assertEqual((settings.service_url, settings.token), ("http://env", "env-token"))
        settings = resolve(service_url="http://arg", token="arg-token", env=env, cwd=self.cwd, user_home=self.user_home)
        self.assertEqual((settings.service_url, settings.token), ("http://arg", "arg-token"))
        settings = resolve(token="arg-token", env={}, cwd=self.cwd, user_home=self.user_home)
        self.assertEqual((settings.service_url, settings.token), ("http://file", "arg-token"))

    def test_funcx_home_then_dot_funcx_then_the_users_home(self):
        self.write_quickstart(os.path.join(self.user_home, ".funcx"), service_url="http://user", token="t-user")
        settings = resolve(env={}, cwd=self.cwd, user_home=self.user_home)
        self.assertEqual(settings.service_url, "http://user")
        self.write_quickstart(os.path.join(self.cwd, ".funcx"), service_url="http://cwd", token="t-cwd",
                              endpoint_id="e-cwd")
        settings = resolve(env={}, cwd=self.cwd, user_home=self.user_home)
        self.assertEqual((settings.service_url, settings.endpoint_id), ("http://cwd", "e-cwd"))
        self.write_quickstart(os.path.join(self.dir, "home"), service_url="http://home", token="t-home")
        settings = resolve(env={"FUNCX_HOME": "../home"}, cwd=self.cwd, user_home=self.user_home)
        self.assertEqual((settings.service_url, settings.token), ("http://home", "t-home"))
        self.assertIn(os.path.join("home", "quickstart.json"), settings.source)

    def test_funcx_login_credentials_come_before_quickstart_and_stay_with_their_service(self):
        self.write_quickstart(os.path.join(self.cwd, ".funcx"), service_url="http://cwd", token="t-cwd")
        login_home = os.path.join(self.user_home, ".funcx")
        os.makedirs(login_home)
        with open(os.path.join(login_home, "credentials.json"), "w") as f:
            json.dump({"service_url": "http://login/", "token": "t-login"}, f)
        settings = resolve(env={}, cwd=self.cwd, user_home=self.user_home)
        self.assertEqual((settings.service_url, settings.token), ("http://login", "t-login"))
        self.assertIn("credentials.json", settings.source)
        # Another service named in the environment never gets a stored token.
        with self.assertRaisesRegex(ConfigurationError, "token"):
            resolve(env={"FUNCX_SERVICE_URL": "http://elsewhere"}, cwd=self.cwd, user_home=self.user_home)
        settings = resolve(env={"FUNCX_SERVICE_URL": "http://cwd/"}, cwd=self.cwd, user_home=self.user_home)
        self.assertEqual((settings.service_url, settings.token), ("http://cwd", "t-cwd"))

    def test_nothing_found_says_where_it_looked(self):
        with self.assertRaises(ConfigurationError) as caught:
            resolve(env={}, cwd=self.cwd, user_home=self.user_home)
        message = str(caught.exception)
        self.assertIn("service URL or token", message)
        self.assertIn(os.path.join(self.cwd, ".funcx", "quickstart.json"), message)
        self.assertIn(os.path.join(self.user_home, ".funcx", "quickstart.json"), message)

    def test_a_broken_file_is_a_clear_error(self):
        os.makedirs(os.path.join(self.cwd, ".funcx"))
        with open(os.path.join(self.cwd, ".funcx", "quickstart.json"), "w") as f:
            f.write("{not json")
        with self.assertRaisesRegex(ConfigurationError, "cannot read .*quickstart.json"):
            resolve(env={}, cwd=self.cwd, user_home=self.user_home)


class QuickstartClientTest(unittest.TestCase):
    def test_a_client_from_quickstart_json_alone_runs_the_tutorial_function(self):
        settings = live_settings()
        home = tempfile.mkdtemp(prefix="funcx-home-")
        self.addCleanup(shutil.rmtree, home)
        with open(os.path.join(home, "quickstart.json"), "w") as f:
            json.dump({"service_url": settings["FUNCX_SERVICE_URL"], "token": settings["FUNCX_TOKEN"],
                       "identity": "admin", "endpoint_id": endpoint_id()}, f)
        env = {k: v for k, v in os.environ.items() if k not in ("FUNCX_SERVICE_URL", "FUNCX_TOKEN")}
        env["FUNCX_HOME"] = home
        with mock.patch.dict(os.environ, env, clear=True):
            fxc = FuncXClient()
        self.assertEqual(fxc.service_url, settings["FUNCX_SERVICE_URL"].rstrip("/"))
        self.assertEqual(fxc.default_endpoint_id, endpoint_id())
        # run() without endpoint_id= uses the quickstart's endpoint
        task_id = fxc.run(function_id=fxc.register_function(hello_world))
        wait_done(fxc, task_id)
        self.assertEqual(fxc.get_result(task_id), "Hello World!")


if __name__ == "__main__":
    unittest.main()
