"""Command line: ``python -m bale demo``."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    import bale

    print(f"bale {bale.__version__}; codecs: {', '.join(bale.codecs())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
