"""``python -m yubl_producer publish --stream NAME FILE.jsonl``: see ``cli``."""

import sys

from .cli import main

sys.exit(main())
