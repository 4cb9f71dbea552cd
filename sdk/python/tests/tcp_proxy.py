"""A real TCP forwarding proxy on port 0, for outage tests.

It forwards every connection to the target until outage(); then it cuts the
open ones and resets each new one, counting them, so a test can wait for
"the client tried N times" instead of sleeping, until resume().
"""
import socket
import struct
import threading
import urllib.parse


class TcpProxy:
    def __init__(self, target_url):
        parsed = urllib.parse.urlsplit(target_url)
        self.target = (parsed.hostname, parsed.port)
        self.changed = threading.Condition()
        self.refused = 0
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
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                thread = threading.Thread(target=self._pump, args=(source, sink), daemon=True)
                self._threads.append(thread)
                thread.start()

    def _pump(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
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
