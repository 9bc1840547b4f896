"""``python -m tuya_thing_async`` runs the ``tuya-thing`` command line."""

from .cli import main

raise SystemExit(main())
