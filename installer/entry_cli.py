"""Entry point of the bundled command line (brigade-desk.exe). Used by brigade_desk.spec only."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from brigade_desk.app.cli import main

    sys.exit(main())
