"""A tiny SMTP server on loopback that accepts every message and keeps only a count.

Production mode requires an SMTP `EMAIL_URL`; the outbox worker sends to this one, so the
load test exercises the real SMTP backend without a mail service. Enough of RFC 5321 for
Django's smtplib client: greeting, EHLO/HELO, MAIL, RCPT, DATA (dot-terminated), RSET,
NOOP, QUIT.
"""

from __future__ import annotations

import socketserver
import threading


class _Session(socketserver.StreamRequestHandler):
    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server: SmtpSink = self.server  # type: ignore[assignment]
        self._reply("220 loadtest ESMTP sink")
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            verb = raw.decode("latin-1").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250-loadtest" if verb == "EHLO" else "250 loadtest")
                if verb == "EHLO":
                    self._reply("250 8BITMIME")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                while True:
                    line = self.rfile.readline(1 << 20)
                    if not line or line in (b".\r\n", b".\n"):
                        break
                with server.lock:
                    server.messages += 1
                self._reply("250 OK queued")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Session)
        self.messages = 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, name="smtp-sink", daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> SmtpSink:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
