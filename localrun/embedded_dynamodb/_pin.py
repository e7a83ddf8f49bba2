"""The moto version each fix was measured on: a fix refuses to install on any other."""

from __future__ import annotations

import moto


def require(fix: str, pinned: str, recheck: str) -> None:
    """Refuse to adapt a moto other than `pinned`: `recheck` says what to measure first."""
    if moto.__version__ != pinned:
        raise RuntimeError(
            f"{fix} adapts moto {pinned}, found {moto.__version__}: {recheck} "
            "(tests/integration/test_embedded_dynamodb*.py) before moving the pin"
        )
