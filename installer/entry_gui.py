"""Entry point of the bundled GUI program (BrigadeDesk.exe). Used by brigade_desk.spec only."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from brigade_desk.app.gui import main

    sys.exit(main())
