"""The zh-Hans catalogue is complete: every message of the code is in it, translated, placeholders intact."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

PACKAGE = Path(__file__).resolve().parents[2]
CATALOGUE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{\{\s*\w+\s*\}\}")


def entries() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(CATALOGUE)) if not e.obsolete]


def test_every_entry_is_translated_and_not_fuzzy() -> None:
    missing = [e.msgid for e in entries() if not e.translated()]
    fuzzy = [e.msgid for e in entries() if "fuzzy" in e.flags]
    assert not missing, f"untranslated: {missing[:20]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:20]}"


def test_placeholders_survive_translation() -> None:
    wrong = []
    for entry in entries():
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        # zh has one plural form: msgstr[0] serves every count, so it may carry the plural msgid's placeholders.
        allowed = [expected, sorted(PLACEHOLDER.findall(entry.msgid_plural))] if entry.msgid_plural else [expected]
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            found = sorted(PLACEHOLDER.findall(text))
            if not any(found == a or set(found) == set(a) for a in allowed):
                wrong.append(entry.msgid)
    assert not wrong, f"placeholders changed in: {wrong[:20]}"


@pytest.mark.slow_subprocess
def test_catalogue_holds_every_message_of_the_code(tmp_path: Path) -> None:
    """Run makemessages on a copy of the package and compare its messages with the committed catalogue."""
    copy = tmp_path / "mofan"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "tests"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "MOFAN_VAR_DIR": str(tmp_path / "var"),
           "DJANGO_SETTINGS_MODULE": "mofan.config.settings"}
    subprocess.run(
        [sys.executable, "-m", "mofan.cli", "makemessages", "-l", "zh_Hans", "--no-location", "-v", "0"],
        cwd=copy, env=env, check=True, capture_output=True,
    )
    fresh = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))
             if not e.obsolete}
    committed = {(e.msgctxt, e.msgid) for e in entries()}
    assert not fresh - committed, f"messages missing from the catalogue: {sorted(fresh - committed)[:20]}"
