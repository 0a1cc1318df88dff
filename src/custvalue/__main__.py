"""``python -m custvalue``: the same as the ``custvalue`` command."""

import sys

from custvalue.cli import main

sys.exit(main())
