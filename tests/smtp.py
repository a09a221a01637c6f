"""A small SMTP server on loopback for tests that need a real, misbehaving mail server.

Real mail servers are slow or hang at the worst moment: after accepting a message, while answering QUIT, or
before accepting at all. `SMTPServer` speaks just enough SMTP for `smtplib` (and so Django's SMTP backend)
and can be told to wait at each of these points, for a while or until the test releases it:

    with SMTPServer(quit_delay=2) as server:            # answers QUIT after 2 s
        settings.EMAIL_PORT = server.port
        ...
    server.messages                                    # every accepted message (email.message.Message)

`hold_quit` / `hold_data` are `threading.Event`s: while one is clear the server waits at that point (QUIT,
or the end of DATA before its "250") until the test sets it. `quit_seen` / `data_seen` are set when the
server has reached that point, so a test can act exactly then (kill a worker, write to the database).
"""

import contextlib
import email
import email.policy
import socketserver
import threading
import time
from email.message import Message


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30  # a client that vanishes must not keep a server thread for ever

    server: "_Server"

    def _reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())
        self.wfile.flush()

    def handle(self) -> None:
        owner = self.server.owner
        owner.connections += 1
        self._reply("220 test.example ESMTP")
        while True:
            try:
                raw = self.rfile.readline()
            except OSError:
                return
            if not raw:
                return
            command = raw.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250 test.example")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                if not self._receive(owner):
                    return
            elif verb == "QUIT":
                owner.quit_seen.set()
                owner.hold_quit.wait()
                time.sleep(owner.quit_delay)
                with contextlib.suppress(OSError):  # the client may have gone meanwhile
                    self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")

    def _receive(self, owner: "SMTPServer") -> bool:
        lines = []
        while True:
            line = self.rfile.readline()
            if not line:
                return False
            if line in (b".\r\n", b".\n"):
                break
            lines.append(line[1:] if line.startswith(b"..") else line)
        owner.data_seen.set()
        owner.hold_data.wait()
        message = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
        with owner.lock:
            owner.messages.append(message)
        self._reply("250 OK: queued")
        return True


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "SMTPServer"


class SMTPServer:
    """Runs in a background thread of the test process on 127.0.0.1 and a free port."""

    def __init__(self, *, quit_delay: float = 0.0, hold_quit: bool = False, hold_data: bool = False):
        self.quit_delay = quit_delay
        self.hold_quit = threading.Event()
        self.hold_data = threading.Event()
        if not hold_quit:
            self.hold_quit.set()
        if not hold_data:
            self.hold_data.set()
        self.quit_seen = threading.Event()
        self.data_seen = threading.Event()
        self.messages: list[Message] = []
        self.connections = 0
        self.lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def release(self) -> None:
        """Stop waiting anywhere: every held conversation goes on."""
        self.hold_quit.set()
        self.hold_data.set()

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(message["Message-ID"]) for message in self.messages]

    def __enter__(self) -> "SMTPServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


def use_smtp(settings, server: SMTPServer, timeout: int = 10) -> None:
    """Point Django's SMTP backend (through pytest-django's `settings`) at the server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = timeout
