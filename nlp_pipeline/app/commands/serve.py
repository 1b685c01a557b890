"""``imr serve [--host 127.0.0.1] [--port 8000]``: the web page and JSON API (needs the ``serve`` extra)."""
from __future__ import annotations

import argparse
import sys


def add_parser(subparsers) -> None:
    """Register ``imr serve``."""
    parser = subparsers.add_parser("serve", help="serve the prediction web page and JSON API")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument("--max-pending", type=int, default=16, metavar="N",
                        help="letters in the server at once; more get 503 with Retry-After (default: 16)")
    parser.set_defaults(run=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    """Run the server until interrupted; 1 when the ``serve`` extra is not installed."""
    try:
        import uvicorn

        from nlp_pipeline.app.server import create_app
    except ModuleNotFoundError as err:
        print(f"imr: error: `imr serve` needs {err.name}: pip install 'imr-outcome[serve]'", file=sys.stderr)
        return 1
    uvicorn.run(create_app(max_pending=args.max_pending), host=args.host, port=args.port)
    return 0
