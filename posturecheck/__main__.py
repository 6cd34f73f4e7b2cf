"""``python -m posturecheck`` == the ``posturecheck`` command."""

import sys

from posturecheck.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
