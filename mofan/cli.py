"""The ``mofan`` console command: Django's manage.py with mofan's settings."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mofan.config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        import mofan.config.env  # noqa: F401  (reads the environment: a wrong value stops here, said plainly)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"mofan: {exc}\n")
        sys.exit(2)

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
