"""The review server under slow, abandoning and oversized clients: issue 31's done-when figures, measured.

    python scripts/bench_server_abuse.py [--slow 20] [--uploads 40] [--abandoned 16] [--give-up 3]

Starts the server (``create_app`` with ``imr serve``'s defaults: 16 busy slots, a 60 s read deadline, a 120 s time
limit, what-if on 20 items per letter) in a process of its own on loopback, warms both models, then measures:

1. ``--slow`` connections sending their upload at 1 byte/s while ``--uploads`` normal uploads of the example letter
   are made at the same time (4 at once, each sent once, no retry): the share answered 200 (goal: 95% or more);
   then what the slow senders get when the read deadline passes.
2. ``--abandoned`` what-if requests of a letter with 20 distinct items, whose clients close their connection after
   ``--give-up`` seconds: the seconds from the last client leaving until every busy slot is free again (the
   server process reports its count of taken slots every 50 ms) (goal: 5 s or less).
3. A .docx that unpacks to 300 MB of XML: seconds to the answer, its status, and the server's peak resident memory
   (goal: refused within 2 s, under 1 GB).
4. A 30 MB upload sent whole by urllib (which reads no answer before its body is sent): the status it reads (goal 413).
5. A JSON request nested 5,000 deep, as an uploaded .json, as pasted text, and as the JSON body itself (goal: 4xx).

Last, the number of tracebacks the server wrote to its log (goal: 0: no client that went away is an error).
"""
from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_bounded_inputs import docx_bomb  # noqa: E402  (the one builder of the .docx bomb)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "nlp_pipeline" / "examples" / "draft_letter.txt"
if not EXAMPLE.exists():
    EXAMPLE = ROOT / "examples" / "draft_letter.txt"

SERVER = """
import sys, threading, time
import uvicorn
from nlp_pipeline.app.server import create_app
app = create_app(allowed_hosts={"127.0.0.1", "localhost"})
def report():  # the busy slots taken, every 50 ms
    while True:
        print(f"{time.monotonic():.3f} {app.state.admission.pending}", flush=True)
        time.sleep(0.05)
threading.Thread(target=report, daemon=True).start()
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="info", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The server process, the latest count of its taken slots, and its log."""

    def __init__(self, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.pending, self.seen_at = 0, 0.0
        self.process = subprocess.Popen([sys.executable, "-c", SERVER, str(self.port)], stdout=subprocess.PIPE,
                                        stderr=log.open("wb"), text=True, cwd=ROOT)
        threading.Thread(target=self._follow, daemon=True).start()
        for _ in range(600):
            try:
                if urllib.request.urlopen(self.base + "/", timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server did not start: " + log.read_text()[-2000:])

    def _follow(self) -> None:
        for line in self.process.stdout:
            stamp, pending = line.split()
            self.pending, self.seen_at = int(pending), float(stamp)

    def memory_mb(self, field: str = "VmHWM") -> float:
        """The server's peak (VmHWM) or current (VmRSS) resident memory, MB."""
        with open(f"/proc/{self.process.pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field)) / 1024

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def post(base: str, path: str, body: bytes, content_type: str, timeout: float = 120) -> int:
    request = urllib.request.Request(base + path, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read()
            return answer.status
    except urllib.error.HTTPError as err:
        err.read()
        return err.code


def multipart(name: str, data: bytes, fields: dict[str, str] | None = None) -> tuple[bytes, str]:
    parts = [f'--x\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
             for key, value in (fields or {}).items()]
    parts.append(f'--x\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + b"--x--\r\n", "multipart/form-data; boundary=x"


def slow_sender(port: int, stop: threading.Event, answers: list) -> None:
    """Declares a 10,000-byte upload and sends it at 1 byte/s until answered or told to stop."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
                     b"boundary=x\r\nContent-Length: 10000\r\n\r\n")
        sock.settimeout(1.0)
        while not stop.is_set():
            try:
                sock.sendall(b"-")
                reply = sock.recv(200)
            except TimeoutError:
                continue
            except OSError:
                answers.append("reset")
                return
            answers.append(reply.split(b"\r\n", 1)[0].decode("latin-1") if reply else "closed")
            return
        answers.append("still sending")


def slow_clients(server: Server, slow: int, uploads: int, read_timeout: float) -> None:
    stop, answers = threading.Event(), []
    senders = [threading.Thread(target=slow_sender, args=(server.port, stop, answers)) for _ in range(slow)]
    for sender in senders:
        sender.start()
    time.sleep(2)  # the slow senders are all connected and sending
    body, kind = multipart("draft_letter.txt", EXAMPLE.read_bytes(), {"mode": "draft"})
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: post(server.base, "/api/predict", body, kind), range(uploads)))
    took = time.monotonic() - started
    ok = statuses.count(200)
    print(f"1. slow senders: {slow} connections at 1 byte/s; {ok} of {uploads} normal uploads answered 200 "
          f"({100 * ok / uploads:.0f}%, goal >= 95%) in {took:.1f} s; other statuses: "
          f"{sorted(s for s in statuses if s != 200) or 'none'}")
    for sender in senders:
        sender.join(timeout=read_timeout + 10)
    stop.set()
    counts = {answer: answers.count(answer) for answer in sorted(set(answers))}
    print(f"   the slow senders, after the {read_timeout:g} s read deadline: {counts}")


def many_item_letter(count: int) -> str:
    """The example letter with its items repeated ``count`` times, each copy's wording its own (so no reading
    is shared between copies)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    marker = "set forth below:\n"
    head, items = text.split(marker)
    copies = [items.replace("Decision rationale: ", f"Decision rationale: The report of visit {n + 1} was "
                            f"reviewed for request {n + 1}. ").replace("12 additional", f"{12 + n} additional")
              for n in range(count)]
    return head + marker + "".join(copies)


def abandoned(server: Server, count: int, give_up: float) -> None:
    body = json.dumps({"text": many_item_letter(7), "mode": "draft", "what_if": True}).encode()  # 21 items
    request = (b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    sockets = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(count)]
    for sock in sockets:
        sock.sendall(request)
    time.sleep(give_up)
    taken = server.pending
    answered = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            answered += bool(sock.recv(1))
        except BlockingIOError:
            pass
        sock.close()
    left = time.monotonic()
    while server.pending and time.monotonic() - left < 300:
        time.sleep(0.02)
    freed = max(server.seen_at, left) - left
    print(f"2. abandoned what-if: {count} requests (21 items each), clients gone after {give_up:g} s with "
          f"{taken} slots taken ({answered} answered before); every slot free {freed:.1f} s after they left "
          f"(goal <= 5 s)")


def oversized(server: Server) -> None:
    bomb = docx_bomb(300)
    before = server.memory_mb()
    body, kind = multipart("bomb.docx", bomb)
    started = time.monotonic()
    status = post(server.base, "/api/predict", body, kind)
    took = time.monotonic() - started
    print(f"3. .docx of 300 MB unpacked XML ({len(bomb) / 2**20:.2f} MB packed): {status} in {took:.2f} s "
          f"(goal: refused within 2 s); server peak memory {server.memory_mb():.0f} MB (before it: {before:.0f} MB; "
          f"goal < 1024)")
    body, kind = multipart("big.pdf", b"%PDF" + b"0" * (30 * 2**20))
    print(f"4. 30 MB upload sent whole through urllib: {post(server.base, '/api/predict', body, kind)} (goal 413)")
    nested = '{"case_summary": "x", "items": ' + "[" * 5000 + "]" * 5000 + "}"
    as_file = post(server.base, "/api/predict", *multipart("deep.json", nested.encode(), {"mode": "facts"}))
    as_text = post(server.base, "/api/predict", json.dumps({"text": nested, "mode": "facts"}).encode(),
                   "application/json")
    as_body = post(server.base, "/api/predict", ('{"text": "x", "mode": "facts", "deep": ' + "[" * 5000
                                                 + "]" * 5000 + "}").encode(), "application/json")
    print(f"5. JSON nested 5,000 deep: uploaded .json {as_file}, pasted text {as_text}, the JSON body itself "
          f"{as_body} (goal: 4xx)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow", type=int, default=20, help="connections sending at 1 byte/s (default: 20)")
    parser.add_argument("--uploads", type=int, default=40, help="normal uploads meanwhile (default: 40)")
    parser.add_argument("--abandoned", type=int, default=16, help="what-if requests given up (default: 16)")
    parser.add_argument("--give-up", type=float, default=3.0, help="seconds before they give up (default: 3)")
    args = parser.parse_args(argv)
    from nlp_pipeline.app.server import READ_TIMEOUT

    log = Path(subprocess.check_output(["mktemp", "--suffix", ".log"], text=True).strip())
    server = Server(log)
    try:
        for mode in ("draft", "facts"):  # the models loaded before anything is timed
            assert post(server.base, "/api/predict", *multipart("a.txt", EXAMPLE.read_bytes(), {"mode": mode})) == 200
        print(f"server: 16 busy slots, read deadline {READ_TIMEOUT:g} s; warmed, resident memory "
              f"{server.memory_mb('VmRSS'):.0f} MB")
        slow_clients(server, args.slow, args.uploads, READ_TIMEOUT)
        abandoned(server, args.abandoned, args.give_up)
        oversized(server)
    finally:
        server.stop()
    text = log.read_text(errors="replace")
    print(f"tracebacks in the server's log: {text.count('Traceback')} (goal 0); log lines: {len(text.splitlines())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
