"""A stored OpenID Connect login: FuncXClient renews an expiring token and rewrites credentials.json.

Run by test/sdk-auth/funcx-login.test.ts right after a real `funcx login` against a test provider whose
access tokens live 30 seconds (inside the one-minute renewal margin): FUNCX_HOME holds that login, and FUNCX_TEST_LOGIN_ENDPOINT names an
endpoint the logged-in user owns.
"""
import json
import os
import shutil
import stat
import tempfile
import time
import unittest

from funcx import FuncXClient
from funcx.config import resolve
from funcx.errors import LoginExpired


def credentials_file(home):
    return os.path.join(home, "credentials.json")


def load(home):
    with open(credentials_file(home), encoding="utf-8") as f:
        return json.load(f)


class StoredLoginTest(unittest.TestCase):
    def setUp(self):
        self.home = os.environ["FUNCX_HOME"]

    def test_a_login_that_cannot_be_renewed_raises_login_expired(self):
        # A copy whose refresh token the provider does not know (the real one stays unspent).
        other = tempfile.mkdtemp(prefix="funcx-stored-login-")
        self.addCleanup(shutil.rmtree, other)
        stored = load(self.home)
        stored["oidc"]["refresh_token"] = "not-a-refresh-token"
        with open(credentials_file(other), "w", encoding="utf-8") as f:
            json.dump(stored, f)
        env = dict(os.environ, FUNCX_HOME=other)
        with self.assertRaises(LoginExpired) as raised:
            resolve(env=env)
        self.assertIn("invalid_grant", str(raised.exception))
        self.assertIn("run `funcx login` again", str(raised.exception))
        self.assertEqual(load(other)["token"], stored["token"], "a failed renewal leaves the file as it was")

    def test_an_expiring_token_is_renewed_with_the_refresh_token_and_stored(self):
        before = load(self.home)
        self.assertLessEqual(before["oidc"]["expires_at"], time.time() + 60)
        fxc = FuncXClient()
        after = load(self.home)
        self.assertNotEqual(after["token"], before["token"])
        self.assertNotEqual(after["oidc"]["refresh_token"], before["oidc"]["refresh_token"])
        self.assertGreater(after["oidc"]["expires_at"], time.time() + 600)
        self.assertEqual({k: v for k, v in after["oidc"].items() if k not in ("expires_at", "refresh_token")},
                         {k: v for k, v in before["oidc"].items() if k not in ("expires_at", "refresh_token")})
        self.assertEqual(stat.S_IMODE(os.stat(credentials_file(self.home)).st_mode), 0o600)
        self.assertEqual([e["endpoint_id"] for e in fxc.list_endpoints()], [os.environ["FUNCX_TEST_LOGIN_ENDPOINT"]])
        # Now good for an hour: the next client uses it as it is.
        FuncXClient()
        self.assertEqual(load(self.home)["token"], after["token"])


if __name__ == "__main__":
    unittest.main()
