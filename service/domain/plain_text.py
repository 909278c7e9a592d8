"""What text a person may give the service: no control characters."""

from __future__ import annotations

import re

# C0 controls other than tab, line feed and carriage return, and DEL: nothing a person types,
# and what PostgreSQL (NUL) or a spreadsheet (the rest) cannot hold.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
