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

from funcx_ts import FuncXClient
from funcx_ts.config import resolve
from funcx_ts.errors import LoginExpired


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


    def test_the_client_renews_during_its_life_before_expiry_and_once_after_a_401(self):
        fxc = FuncXClient()
        tokens = fxc.transport.tokens
        self.assertIsNotNone(tokens, "a stored OIDC login gives the transport a token source")
        start = load(self.home)
        # Two hours on, the token (good for one) is about to expire: the next call renews it first.
        tokens.now = lambda: time.time() + 7200
        self.assertEqual([e["endpoint_id"] for e in fxc.list_endpoints()], [os.environ["FUNCX_TEST_LOGIN_ENDPOINT"]])
        renewed = load(self.home)
        self.assertNotEqual(renewed["token"], start["token"])
        self.assertNotEqual(renewed["oidc"]["refresh_token"], start["oidc"]["refresh_token"])
        self.assertEqual(tokens.stored["token"], renewed["token"])
        tokens.now = time.time
        # A token the service refuses (revoked, say): renewed once, and the call goes through.
        tokens.stored = dict(tokens.stored, token="refused-token")
        with open(credentials_file(self.home), "w", encoding="utf-8") as f:
            json.dump(tokens.stored, f)
        self.assertEqual([e["endpoint_id"] for e in fxc.list_endpoints()], [os.environ["FUNCX_TEST_LOGIN_ENDPOINT"]])
        after_401 = load(self.home)
        self.assertNotIn(after_401["token"], ("refused-token", renewed["token"]))
        self.assertEqual(tokens.stored["token"], after_401["token"])
        self.assertEqual(stat.S_IMODE(os.stat(credentials_file(self.home)).st_mode), 0o600)


if __name__ == "__main__":
    unittest.main()
