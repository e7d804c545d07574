"""docs/security.md names, for each level-3 requirement, the test that shows it: every one must exist."""

from __future__ import annotations

import re

from mofan.config.env import BASE_DIR

DOC = BASE_DIR / "docs" / "security.md"
REFERENCE = re.compile(r"`((?:mofan|tests)/[\w/]+\.py)::(test_\w+)`")


def test_every_test_named_in_security_md_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    references = REFERENCE.findall(text)
    assert len(references) >= 50  # the document is read, not an empty pattern
    missing = []
    for path, name in references:
        source = BASE_DIR / path
        if not source.is_file() or not re.search(rf"^\s*(?:async )?def {name}\(", source.read_text(encoding="utf-8"),
                                                 re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"


def test_every_item_of_the_computing_environment_is_covered() -> None:
    text = DOC.read_text(encoding="utf-8")
    for item in ("身份鉴别", "访问控制", "安全审计", "入侵防范", "恶意代码防范", "可信验证", "数据完整性", "数据保密性",
                 "数据备份恢复", "剩余信息保护", "个人信息保护", "系统管理", "审计管理", "安全管理"):
        assert f"{item}" in text, item


def test_the_pattern_reads_a_reference() -> None:
    assert REFERENCE.findall("`mofan/x/tests/test_a.py::test_b`") == [("mofan/x/tests/test_a.py", "test_b")]
