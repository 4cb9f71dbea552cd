"""A real TCP forwarding proxy on port 0, for outage tests.

It forwards every connection to the target until outage(); then it cuts the
open ones and resets each new one, counting them, so a test can wait for
"the client tried N times" instead of sleeping, until resume().
It also counts what passes: TCP connections accepted, and HTTP requests (request
lines seen in the client's bytes), and can close idle connections (close_idle)
as a service's keep-alive timeout does.
"""
import re
import socket
import struct
import threading
import urllib.parse

# The start of an HTTP/1.1 request.
REQUEST_LINE = re.compile(rb"(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S* HTTP/1\.1\r\n")


class TcpProxy:
    def __init__(self, target_url):
        parsed = urllib.parse.urlsplit(target_url)
        self.target = (parsed.hostname, parsed.port)
        self.changed = threading.Condition()
        self.refused = 0
        self.connections = 0  # TCP connections accepted and forwarded
        self.requests = 0  # HTTP request lines forwarded to the target
        self._reset_next_request = False
        self._down = False
        self._open = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self._listener.getsockname()[1]
        self._closed = False
        self._threads = [threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)]
        self._threads[0].start()

    def outage(self):
        with self.changed:
            self._down = True
            self.refused = 0
            cut, self._open = list(self._open), set()
        for sock in cut:
            _reset(sock)

    def resume(self):
        with self.changed:
            self._down = False

    def wait_until(self, predicate, timeout=60):
        """Blocks until predicate() holds (checked on every refusal, and on notify()); returns it."""
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    def notify(self, *_):
        with self.changed:
            self.changed.notify_all()

    def close(self):
        """Stops listening, cuts every connection and joins every thread it started."""
        self._closed = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self._listener.close()
        with self.changed:
            cut, self._open = list(self._open), set()
        for sock in cut:
            _reset(sock)
        for thread in list(self._threads):
            thread.join(10)

    def _accept_loop(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self.changed:
                if self._down:
                    self.refused += 1
                    self.changed.notify_all()
                    _reset(client)
                    continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                _reset(client)
                continue
            with self.changed:
                self.connections += 1
                self._open.update((client, upstream))
            for source, sink, count in ((client, upstream, True), (upstream, client, False)):
                thread = threading.Thread(target=self._pump, args=(source, sink, count), daemon=True)
                self._threads.append(thread)
                thread.start()

    def close_idle(self):
        """Closes every open connection in order (FIN, not RST), as a service's keep-alive timeout does."""
        with self.changed:
            cut, self._open = list(self._open), set()
        for sock in cut:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def reset_next_request(self):
        """The next request is not forwarded: its connection is reset, as when the service closed
        a kept-alive connection just as the client wrote into it."""
        with self.changed:
            self._reset_next_request = True

    def _pump(self, source, sink, count_requests):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                # Neither client here pipelines: each request goes out after the previous answer
                # came back, so it starts a chunk of its own.
                if count_requests and REQUEST_LINE.match(data):
                    with self.changed:
                        reset, self._reset_next_request = self._reset_next_request, False
                        if not reset:
                            self.requests += 1
                    if reset:
                        _reset(source)
                        _reset(sink)
                        break
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _reset(sock):
    """Close with RST (SO_LINGER 0), as a failing network would.

    shutdown() first: close() alone would not wake a pump thread blocked in
    recv() on this socket, and the connection would live on until it returned.
    """
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
