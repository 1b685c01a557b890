"""One module per ``imr`` subcommand: each has ``add_parser(subparsers)`` and ``run(args) -> int``."""
