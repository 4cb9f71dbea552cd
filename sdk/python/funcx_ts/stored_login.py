"""Renewing the token of an OpenID Connect login that `funcx login` stored.

credentials.json may hold, beside `token`, an `oidc` object (written by the
TypeScript `funcx login`): token_endpoint, client_id, grant, expires_at
(seconds since the epoch), refresh_token, resource, scope, and for headless
logins client_secret. When the access token has expired or will within a
minute, it is renewed at the token endpoint (no discovery needed): with the
refresh token as a public client, or by running the client credentials grant
again; the file is rewritten atomically with mode 0600, keeping the new
refresh token (providers rotate them: each is good once). Anything else is
left as it is, and the service has the last word on the token.

StoredLoginTokens is the Transport's token source for such a login: asked
before every request, it renews a token about to expire during the client's
life (not only when the client is made), and once more when the service
refuses a token (401). Before renewing it takes a lock beside the file, shared
with other processes (file_lock.py, the same protocol as the TypeScript SDK's),
reads the file again, and takes a token another process already renewed instead
of spending a stale refresh token.
"""
import json
import os
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from .errors import LoginExpired
from .file_lock import file_lock

RENEW_MARGIN_S = 60


def fresh(path, stored, now=time.time, timeout=30.0, force=False):
    """`stored` (credentials.json's content), or a copy with a renewed token, also written to `path`.

    Renewed when it expires within a minute, or always with force (the service refused it).
    """
    login = stored.get("oidc")
    if not isinstance(login, dict) or not login.get("token_endpoint") or not (force or expiring(login, now())):
        return stored
    form = renewal_form(login)
    if form is None:
        return stored
    endpoint = login["token_endpoint"]
    if not secure_enough(endpoint):
        raise LoginExpired("will not send a refresh token over plain http to %s: run `funcx login` again" % endpoint)
    answer = post_form(endpoint, form, timeout)
    renewed_login = {k: v for k, v in login.items() if k not in ("expires_at", "refresh_token")}
    if isinstance(answer.get("expires_in"), (int, float)):
        renewed_login["expires_at"] = int(now() + answer["expires_in"])
    refresh_token = answer.get("refresh_token") or login.get("refresh_token")
    if refresh_token and login.get("grant") != "client_credentials":
        renewed_login["refresh_token"] = refresh_token
    renewed = dict(stored, token=answer["access_token"], oidc=renewed_login)
    write_atomically(path, renewed)
    return renewed


class StoredLoginTokens:
    """The token of a stored OpenID Connect login, kept fresh for a Transport (see the module comment)."""

    def __init__(self, path, stored, now=time.time):
        self.path = path
        self.stored = stored
        self.now = now
        self._lock = threading.Lock()  # one renewal at a time: a refresh token is good once

    def current(self):
        """The token to send now, renewed first when it expires within a minute."""
        with self._lock:
            if expiring(self.stored["oidc"], self.now()):
                self._renew(self.stored["token"])
            return self.stored["token"]

    def renew_after_rejection(self, rejected):
        """A renewed token to try once more after the service refused `rejected`, or None to give up."""
        if renewal_form(self.stored["oidc"]) is None:
            return None
        with self._lock:
            self._renew(rejected)
            return self.stored["token"]

    def _renew(self, stale):
        if self.stored["token"] != stale and not expiring(self.stored["oidc"], self.now()):
            return  # another thread renewed it meanwhile
        self.stored = renew_stored(self.path, self.stored, stale, now=self.now, force=True)


def renew_stored(path, stored, stale, now=time.time, force=False):
    """`stored`, renewed under the cross-process lock: a token another process renewed meanwhile is taken as it is.

    `stale` is the token the caller found wanting; without force, a token that is not expiring is kept.
    """
    login = stored.get("oidc")
    if not isinstance(login, dict) or not (force or expiring(login, now())):
        return stored
    with file_lock(path):
        on_disk = _read(path)
        if isinstance(on_disk, dict) and isinstance(on_disk.get("oidc"), dict) and _same_login(on_disk, stored):
            stored = on_disk  # its refresh token is the latest one
            if on_disk.get("token") != stale and not expiring(on_disk["oidc"], now()):
                return stored  # another process renewed it
        return fresh(path, stored, now=now, force=force)


def _read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _same_login(a, b):
    """The file still holds a login for the same service, provider and client."""
    return (a.get("service_url") == b.get("service_url")
            and a["oidc"].get("token_endpoint") == b["oidc"].get("token_endpoint")
            and a["oidc"].get("client_id") == b["oidc"].get("client_id"))


def expiring(login, now):
    expires_at = login.get("expires_at")
    return isinstance(expires_at, (int, float)) and expires_at - RENEW_MARGIN_S <= now


def renewal_form(login):
    """The token request that renews this login, or None when there is nothing to renew it with."""
    extra = {k: login[k] for k in ("resource", "scope") if login.get(k)}
    if login.get("grant") == "client_credentials":
        if not login.get("client_secret"):
            return None
        return dict(grant_type="client_credentials", client_id=login["client_id"], client_secret=login["client_secret"], **extra)
    if not login.get("refresh_token"):
        return None
    return dict(grant_type="refresh_token", refresh_token=login["refresh_token"], client_id=login["client_id"], **extra)


def secure_enough(url):
    """https, or http to this machine only (a development provider), as the TypeScript client allows."""
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    return parsed.scheme == "https" or (parsed.scheme == "http" and (host in ("localhost", "::1") or host.startswith("127.")))


def post_form(url, form, timeout):
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST",
                                     headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        try:
            body = json.loads(error.read().decode("utf-8"))
            why = "%s: %s" % (body.get("error"), body.get("error_description", ""))
        except ValueError:
            why = "HTTP %s" % error.code
        raise LoginExpired("renewing the access token failed (%s): run `funcx login` again" % why)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise LoginExpired("cannot renew the access token at %s (%s): run `funcx login` again" % (url, error))
    if not isinstance(answer, dict) or not answer.get("access_token"):
        raise LoginExpired("the token endpoint %s answered without an access token: run `funcx login` again" % url)
    return answer


def write_atomically(path, content):
    """A temp file (mkstemp: mode 0600) in the same folder, renamed over the old: a reader sees the old file or the new."""
    folder = os.path.dirname(path)
    fd, temp = tempfile.mkstemp(prefix=".credentials.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(content, f, indent=2)
            f.write("\n")
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
