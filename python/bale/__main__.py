"""Command line: ``python -m bale demo [--data DIR] [--plot FILE.png]``."""
from __future__ import annotations

import sys

USAGE = """usage: python -m bale [demo [--data DIR] [--plot FILE.png]] [--version]

commands:
  demo      build the same real data as Python list/dict and as bale.List/bale.Dict,
            print memory and speed side by side (see: python -m bale demo --help)
  (none)    print the version and the available codecs"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "demo":
        from . import demo
        return demo.main(argv[1:])
    import bale
    if argv and argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if argv and argv[0] not in ("--version", "-V"):
        print(f"unknown command: {argv[0]}\n\n{USAGE}", file=sys.stderr)
        return 2
    print(f"bale {bale.__version__}; codecs: {', '.join(bale.codecs())}")
    if not argv:
        print("try: python -m bale demo")
    return 0


if __name__ == "__main__":
    sys.exit(main())
