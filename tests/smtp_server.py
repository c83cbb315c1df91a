"""A real SMTP server for the mail tests (Debian's python3-aiosmtpd).

Usage: smtp_server.py PORT DIR

Each message received is written to DIR/<n>.eml. The answer to each
message's DATA is read from DIR/answer at that moment: absent or "250"
accepts; any other SMTP reply line (such as "451 4.3.0 Try later" or
"550 5.1.1 No such user") refuses with it. Prints "ready" once listening.
"""

import pathlib
import sys
import threading
import time

from aiosmtpd.controller import Controller


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


def main() -> None:
    port = int(sys.argv[1])
    folder = pathlib.Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(Keeper(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
