"""A real SMTP server for the mail tests (Debian's python3-aiosmtpd).

Usage: smtp_server.py PORT DIR [starttls|implicit CERT KEY] [USER PASSWORD]

With "starttls" the server offers STARTTLS and wants it before mail; with
"implicit" it speaks TLS from the start. With USER and PASSWORD it wants
that login (over TLS), and writes each login tried to DIR/logins. Each message received is written to DIR/<n>.eml. The answer to each
message's DATA is read from DIR/answer at that moment: absent or "250"
accepts; any other SMTP reply line (such as "451 4.3.0 Try later" or
"550 5.1.1 No such user") refuses with it. Prints "ready" once listening.
"""

import pathlib
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Keeper:
    def __init__(self, folder: pathlib.Path):
        self.folder = folder
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        answer_file = self.folder / "answer"
        answer = answer_file.read_text().strip() if answer_file.exists() else "250"
        if answer and not answer.startswith("250"):
            return answer
        with self.lock:
            self.count += 1
            name = self.folder / f"{self.count:06}.eml"
        name.write_bytes(envelope.original_content or envelope.content)
        return "250 2.0.0 Message accepted"


class Logins:
    def __init__(self, folder: pathlib.Path, user: str, password: str):
        self.log = folder / "logins"
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        with self.log.open("ab") as log:
            log.write(auth_data.login + b":" + auth_data.password + b"\n")
        ok = auth_data.login == self.user and auth_data.password == self.password
        return AuthResult(success=ok)


def main() -> None:
    port = int(sys.argv[1])
    folder = pathlib.Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    rest = sys.argv[3:]
    options = {}
    if rest and rest[0] in ("starttls", "implicit"):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(rest[1], rest[2])
        if rest[0] == "starttls":
            options.update(tls_context=context, require_starttls=True)
        else:
            # aiosmtpd counts only STARTTLS as TLS when it decides whether
            # AUTH may be offered; this connection is TLS from its start.
            options.update(ssl_context=context, auth_require_tls=False)
        rest = rest[3:]
    if rest:
        options.update(authenticator=Logins(folder, rest[0], rest[1]), auth_required=True)
    controller = Controller(Keeper(folder), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
