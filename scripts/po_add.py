"""Add translations to the zh-Hans catalogue: ``python scripts/po_add.py FILE.json`` (run under
``flock /tmp/mofan-po.lock`` when several people edit at once).

FILE.json maps an English msgid to its Chinese text: ``{"Study plans": "学习计划"}``; a plural entry maps to
``["singular", "plural", "中文"]``; a key ``"context\\u0004msgid"`` carries a pgettext context. Entries already in
the catalogue are updated, new ones appended; the .mo is compiled afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "mofan" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def main(path: str) -> None:
    wanted = json.loads(Path(path).read_text(encoding="utf-8"))
    po = polib.pofile(str(CATALOGUE), wrapwidth=0)
    added = updated = 0
    for key, value in wanted.items():
        context, _, msgid = key.rpartition("\u0004")
        plural = isinstance(value, list)
        if plural:
            msgid, msgid_plural, text = value
        entry = po.find(msgid, msgctxt=context or None) if context else po.find(msgid)
        if entry is not None and (entry.msgctxt or None) != (context or None):
            entry = None
        if entry is None:
            entry = polib.POEntry(msgid=msgid, msgctxt=context or None)
            po.append(entry)
            added += 1
        else:
            updated += 1
        if plural:
            entry.msgid_plural = msgid_plural
            entry.msgstr_plural = {0: text}
        else:
            entry.msgstr = value
        entry.obsolete = False
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save(str(CATALOGUE))
    subprocess.run([str(ROOT / ".venv" / "bin" / "mofan"), "compilemessages", "-v", "0"],  # noqa: S603 - our own CLI
                   cwd=ROOT / "mofan",
                   check=True)
    print(f"{added} added, {updated} updated")


if __name__ == "__main__":
    main(sys.argv[1])
