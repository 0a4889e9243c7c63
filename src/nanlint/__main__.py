import os
import sys


def _drop_working_directory() -> None:
    """`python -m nanlint` puts the working directory first on the import path, so a checked
    repository's own `click.py` or `json.py` would be imported (run) instead of the real
    module. nanlint never runs the code it checks: that entry goes before anything else is
    imported (nanlint itself is already loaded, and its submodules resolve through it)."""
    if not sys.path:
        return
    first = sys.path[0]
    try:
        here = first == "" or os.path.samefile(first, os.getcwd())
    except OSError:
        return
    if here:
        del sys.path[0]


_drop_working_directory()

from nanlint.cli import main  # noqa: E402 - after the import path is safe

if __name__ == "__main__":
    main()
