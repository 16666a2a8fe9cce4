"""`python -m bench run [--quick] ...`: see bench/README.md."""

from bench.run import main

raise SystemExit(main())
