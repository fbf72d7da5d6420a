"""Entry script of the bundled `clinicdesk` program: the GUI, or a command when given one."""

import sys

from ui.launcher import main

if __name__ == "__main__":
    sys.exit(main())
