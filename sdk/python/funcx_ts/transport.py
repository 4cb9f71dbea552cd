"""JSON over HTTP, on one kept-alive connection per thread (connection.py), with retries where a retry is safe.

A call marked idempotent (GETs, reads done with POST, and submits that carry
an Idempotency-Key) is retried on 429 and 5xx answers and on connection
errors, waiting what the service's Retry-After says, else an exponential
backoff with jitter. Any other call (registering, deleting, cancelling) is
retried only on 429, which the service answers before doing anything: after a
5xx or a lost answer it may already have been carried out, so it is not sent again.

The token is a string, or a token source (stored_login.StoredLoginTokens) asked
before every attempt, so a token about to expire is renewed first; a 401 makes
the call renew once and send again (the service refused it before doing anything).
"""
import email.utils
import http.client
import json
import random
import ssl
import time
import urllib.parse

from . import __version__
from .connection import Connections, StaleConnection
from .errors import ServiceError, ServiceUnreachable, service_error

# 507 is StorageFull: the service's disk is full, nothing was stored, and it says when to come back.
RETRY_STATUSES = frozenset([429, 500, 502, 503, 504, 507])
# A Retry-After longer than this is not waited out: the error is raised instead.
MAX_RETRY_AFTER_S = 60.0


class Transport:
    def __init__(self, base_url, token, timeout=60.0, max_retries=4, backoff_s=0.5, sleep=time.sleep,
                 ca_file=None):
        self.base_url = base_url.rstrip("/")
        # A given CA file replaces the system store (a private CA); verification always stays on.
        self.ssl_context = ssl.create_default_context(cafile=ca_file) if ca_file else None
        # A fixed string, or a source with current() and renew_after_rejection(rejected).
        self.tokens = token if hasattr(token, "current") else None
        self._fixed_token = None if self.tokens else token
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self._sleep = sleep
        self.user_agent = "funcx-ts-python/%s" % __version__
        # One kept-alive connection per thread: a round trip is one TCP connection, not one per request.
        self.connections = Connections(self.base_url, self.ssl_context)

    def request(self, method, path, body=None, query=None, idempotent=None, headers=None, timeout=None):
        """The parsed JSON answer; raises a ServiceError subclass for an error answer."""
        if idempotent is None:
            # Not DELETE: a retried delete whose first answer was lost would report NotFound for a success.
            idempotent = method in ("GET", "HEAD")
        url = path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode("utf-8")
        attempt = 0
        renewed = False
        stale_retried = False
        while True:
            attempt += 1
            token = self.token
            try:
                return self._send(method, url, data, headers, timeout or self.timeout, token)
            except ServiceError as refused:
                if refused.http_status != 401 or renewed or self.tokens is None:
                    raise
                renewed = True
                if self.tokens.renew_after_rejection(token) is None:
                    raise
                attempt -= 1  # the refused attempt does not count against the retries
            except StaleConnection as stale:
                # The service closed the kept-alive connection as we wrote: once, at once, on a
                # new one, but only a request that is safe to send twice.
                if not idempotent or stale_retried:
                    raise ServiceUnreachable(self.base_url, stale.cause) from None
                stale_retried = True
                attempt -= 1
            except _Retryable as failure:
                retry_allowed = idempotent or failure.status == 429
                delay = failure.retry_after if failure.retry_after is not None else self._backoff(attempt)
                if not retry_allowed or attempt > self.max_retries or delay > MAX_RETRY_AFTER_S:
                    raise failure.error from None
                self._sleep(delay)

    @property
    def token(self):
        """The token to send now (a stored login's is renewed first when about to expire)."""
        return self.tokens.current() if self.tokens else self._fixed_token

    def _backoff(self, attempt):
        base = self.backoff_s * (2 ** (attempt - 1))
        return min(base, 10.0) * random.uniform(0.5, 1.0)

    def _send(self, method, url, data, extra_headers, timeout, token):
        headers = {"Accept": "application/json", "User-Agent": self.user_agent,
                   "Authorization": "Bearer " + token}
        if data is not None:
            headers["Content-Type"] = "application/json"
        headers.update(extra_headers or {})
        try:
            status, answer_headers, raw = self.connections.send(method, url, data, headers, timeout)
        except StaleConnection:
            raise
        except (http.client.HTTPException, OSError) as failure:
            raise _Retryable(ServiceUnreachable(self.base_url, failure), None, None)
        text = raw.decode("utf-8", "replace")
        if 200 <= status < 300:
            return json.loads(text) if text else None
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        error = service_error(status, parsed, answer_headers.get("X-Request-Id"))
        if status in RETRY_STATUSES:
            raise _Retryable(error, status, parse_retry_after(answer_headers.get("Retry-After")))
        raise error


class _Retryable(Exception):
    def __init__(self, error, status, retry_after):
        super().__init__(str(error))
        self.error = error
        self.status = status
        self.retry_after = retry_after


def parse_retry_after(value):
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())
