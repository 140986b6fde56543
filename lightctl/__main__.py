"""`python -m lightctl` runs the command line."""

from lightctl.cli import main

raise SystemExit(main())
