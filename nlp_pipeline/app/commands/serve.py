"""``imr serve [--host 127.0.0.1] [--port 8000]``: the web page and JSON API (needs the ``serve`` extra)."""
from __future__ import annotations

import argparse
import sys

DESCRIPTION = """\
Run a small web server: a page where a letter file is uploaded and its items are predicted
(Upheld: the utilization review denial stands; Overturned: it is reversed), and the same as a
JSON API for other programs. It needs the serve extra:
  pip install "imr-outcome[serve]"     where imr was installed as a package
  pip install -e ".[serve]"            in the folder of a checkout of its source
"""

EXAMPLES = """\
  imr serve
      then open http://127.0.0.1:8000 in a browser on this computer
  imr serve --host 0.0.0.0 --port 8080 --token-file token.txt --allow-host imr.example.org
      reachable from other computers as imr.example.org, on port 8080; the page asks for the token
      (TOKEN: the text of token.txt) once in a login form, programs send the header
      "Authorization: Bearer TOKEN"; without it, 401
"""
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

INSTALL = ('pip install "imr-outcome[serve]" (an installed imr), or pip install -e ".[serve]" in the folder of a '
           "checkout of its source")


def add_parser(subparsers) -> None:
    """Register ``imr serve``."""
    from nlp_pipeline.app.commands._common import subcommand

    parser = subcommand(subparsers, "serve", "run a web page where letters are uploaded and predicted (and a JSON API)",
                        DESCRIPTION, EXAMPLES)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this computer only; 0.0.0.0: every network "
                             "interface)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument("--max-pending", type=int, default=16, metavar="N",
                        help="letters worked on at once; further uploads are told to retry later (HTTP 503 with "
                             "Retry-After) (default: 16)")
    parser.add_argument("--time-limit", type=float, default=120.0, metavar="SECONDS",
                        help="seconds of work one request may take; after them it is answered 503 with a message "
                             "(default: 120)")
    parser.add_argument("--read-timeout", type=float, default=60.0, metavar="SECONDS",
                        help="seconds for a request's upload to arrive, read before it takes one of the --max-pending "
                             "places; a slower one gets 408 (default: 60)")
    parser.add_argument("--what-if-items", type=int, default=20, metavar="N",
                        help="items of one letter given the what-if edits (each item's edits are a handful of "
                             "re-readings, so a request listing thousands of items would be that much work); the "
                             "items past N say so in their warnings (default: 20)")
    parser.add_argument("--token-file", metavar="FILE",
                        help="require an access token: its text is read from FILE (default: the environment variable "
                             "IMR_SERVE_TOKEN, when set): the page shows a login form where it is typed once (then a "
                             "session cookie), and the API needs the header 'Authorization: Bearer TOKEN' (else 401)")
    parser.add_argument("--no-auth", action="store_true",
                        help="serve other computers without a token (a --host that is not this computer's own "
                             "refuses to start without --token-file, IMR_SERVE_TOKEN or this option): for a server "
                             "behind a reverse proxy that checks who may reach it")
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                        help="a name the server is reached by (its Host header), besides localhost, 127.0.0.1, ::1 "
                             "and --host; repeat for several (requests naming another host get 400)")
    parser.set_defaults(run=run, parser=parser)


def read_token(args: argparse.Namespace) -> str | None:
    """The access token: the text of --token-file (stripped), else $IMR_SERVE_TOKEN, else None. An empty one is an
    error (it would admit anyone)."""
    import os

    from nlp_pipeline.app.server import TOKEN_ENV

    if args.token_file:
        try:
            token = open(args.token_file, encoding="utf-8").read().strip()
        except (OSError, UnicodeDecodeError) as err:
            raise ValueError(f"--token-file {args.token_file}: cannot be read ({getattr(err, 'strerror', None) or err})")
        if not token:
            raise ValueError(f"--token-file {args.token_file} is empty")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this computer only."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    """Run the server until interrupted; 1 when the ``serve`` extra is not installed."""
    try:
        import uvicorn

        from nlp_pipeline.app.server import create_app
    except ModuleNotFoundError as err:
        print(f"imr: error: imr serve needs {err.name}, part of the serve extra; install it with {INSTALL}",
              file=sys.stderr)
        return 1
    try:
        token = read_token(args)
    except ValueError as err:
        print(f"imr: error: {err}", file=sys.stderr)
        return 2
    if token is None and not is_loopback(args.host):
        exposure = (f"--host {args.host} makes the server reachable from other computers, and without a token anyone "
                    "who reaches it can upload letters and read their predictions")
        if not args.no_auth:
            print(f"imr: error: {exposure}: give --token-file FILE (or set IMR_SERVE_TOKEN), or --no-auth when a "
                  "reverse proxy checks who may reach it", file=sys.stderr)
            return 2
        print(f"imr: warning: {exposure} (--no-auth): serve it behind a reverse proxy with TLS that checks who may "
              "reach it", file=sys.stderr)
    hosts = {*LOOPBACK_HOSTS, args.host, *args.allow_host}
    uvicorn.run(create_app(max_pending=args.max_pending, token=token, allowed_hosts=hosts,
                           time_limit=args.time_limit, read_timeout=args.read_timeout,
                           what_if_items=args.what_if_items), host=args.host, port=args.port)
    return 0
