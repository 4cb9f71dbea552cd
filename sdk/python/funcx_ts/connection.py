"""One kept-alive HTTP(S) connection per thread to the service.

urllib opens a new TCP (and TLS) connection per request; a WAN away, each
costs a network round trip or more before the request is even sent. Here a
thread's requests share one http.client connection, opened on first use and
opened again when the service closed it (its keep-alive timeout, a restart).

A connection the service has closed while idle is seen before use (its socket
reads as ready: end of stream, or bytes nobody asked for), so a request is
almost never written into a dead socket. Should that still happen (the close
raced the write), `send` says so by raising StaleConnection: no answer byte
came back, so the caller knows a retry on a new connection is only as safe as
the request's own idempotency.

HTTP_PROXY / HTTPS_PROXY / NO_PROXY are honoured as urllib honours them: an
https URL through a proxy is a CONNECT tunnel, an http URL is sent to the
proxy in absolute form.
"""
import http.client
import os
import select
import threading
import urllib.parse
import urllib.request


class StaleConnection(Exception):
    """A reused connection failed before any answer byte arrived."""

    def __init__(self, cause):
        super().__init__(str(cause))
        self.cause = cause


class Connections:
    def __init__(self, base_url, ssl_context=None):
        parsed = urllib.parse.urlsplit(base_url)
        self.scheme = parsed.scheme
        self.host = parsed.hostname
        self.port = parsed.port or (443 if self.scheme == "https" else 80)
        self.base_path = parsed.path.rstrip("/")
        self.ssl_context = ssl_context
        self._proxy = _proxy_for(base_url, self.scheme, self.host)
        self._local = threading.local()
        # Connections opened so far (all threads): tests and benches count them.
        self.opened = 0
        self._count_lock = threading.Lock()

    def send(self, method, path, data, headers, timeout):
        """(status, headers, body bytes) of one exchange on this thread's connection."""
        connection, reused = self._connection(timeout)
        target = self.base_path + path
        if self._proxy and self.scheme == "http":
            target = "http://%s:%d%s" % (self.host, self.port, target)
        try:
            connection.request(method, target, body=data, headers=headers)
            response = connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as failure:
            self.close()
            if reused:
                # No status line came back on a connection that had served before: most likely
                # the service closed it as we wrote (a keep-alive timeout, a restart).
                raise StaleConnection(failure) from failure
            raise
        except BaseException:
            self.close()
            raise
        try:
            body = response.read()
        except BaseException:
            # A timeout or a half-read answer leaves the connection unusable.
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, response.headers, body

    def close(self):
        """Closes this thread's connection (the next request opens a new one)."""
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()

    def _connection(self, timeout):
        connection = getattr(self._local, "connection", None)
        if connection is not None and getattr(self._local, "pid", None) != os.getpid():
            # A forked child inherited its parent's socket: using it would mix both processes'
            # requests on one stream. Left to the parent (not closed here); the child opens its own.
            connection = self._local.connection = None
        if connection is not None and not _dropped(connection):
            connection.timeout = timeout
            if connection.sock is not None:
                connection.sock.settimeout(timeout)
            return connection, True
        self.close()
        connection = self._open(timeout)
        self._local.connection = connection
        self._local.pid = os.getpid()
        with self._count_lock:
            self.opened += 1
        return connection, False

    def _open(self, timeout):
        if self._proxy:
            proxy_host, proxy_port = self._proxy
            if self.scheme == "https":
                connection = http.client.HTTPSConnection(proxy_host, proxy_port, timeout=timeout,
                                                         context=self.ssl_context)
                connection.set_tunnel(self.host, self.port)
                return connection
            return http.client.HTTPConnection(proxy_host, proxy_port, timeout=timeout)
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.ssl_context)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)


def _dropped(connection):
    """True when an idle connection's socket is readable: closed by the service (or out of step)."""
    sock = connection.sock
    if sock is None:
        return False  # not connected yet: http.client connects on the next request
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _proxy_for(url, scheme, host):
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    parsed = urllib.parse.urlsplit(proxy if "://" in proxy else "http://" + proxy)
    return parsed.hostname, parsed.port or 80
