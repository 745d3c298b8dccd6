import sys

from kxconsole.cli import main

sys.exit(main())
