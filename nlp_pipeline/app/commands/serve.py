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
  imr serve --host 0.0.0.0 --port 8080
      reachable from other computers on the network, on port 8080
"""

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
    parser.set_defaults(run=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    """Run the server until interrupted; 1 when the ``serve`` extra is not installed."""
    try:
        import uvicorn

        from nlp_pipeline.app.server import create_app
    except ModuleNotFoundError as err:
        print(f"imr: error: imr serve needs {err.name}, part of the serve extra; install it with {INSTALL}",
              file=sys.stderr)
        return 1
    uvicorn.run(create_app(max_pending=args.max_pending), host=args.host, port=args.port)
    return 0
