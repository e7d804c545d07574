"""List the messages of the code missing from the zh-Hans catalogue: ``python scripts/po_missing.py [OUT.json]``.

Runs makemessages on a copy of the package (the catalogue itself is untouched) and prints, or writes as a JSON
object ready for ``scripts/po_add.py`` (values left empty for the translator), every msgid not yet there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mofan"
CATALOGUE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def main(out: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "mofan"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "tests"))
        env = {**os.environ, "PYTHONPATH": tmp, "MOFAN_VAR_DIR": str(Path(tmp) / "var"),
               "DJANGO_SETTINGS_MODULE": "mofan.config.settings"}
        subprocess.run([sys.executable, "-m", "mofan.cli", "makemessages", "-l", "zh_Hans", "--no-location", "-v", "0"],
                       cwd=copy, env=env, check=True)
        fresh = polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))
    have = {(e.msgctxt, e.msgid) for e in polib.pofile(str(CATALOGUE)) if not e.obsolete and e.translated()}
    missing: dict[str, object] = {}
    for e in fresh:
        if e.obsolete or (e.msgctxt, e.msgid) in have:
            continue
        key = f"{e.msgctxt}\u0004{e.msgid}" if e.msgctxt else e.msgid
        missing[key] = [e.msgid, e.msgid_plural, ""] if e.msgid_plural else ""
    if out:
        Path(out).write_text(json.dumps(missing, ensure_ascii=False, indent=1), encoding="utf-8")
    print("\n".join(missing) if not out else f"{len(missing)} missing, written to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
