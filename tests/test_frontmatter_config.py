"""Front matter splitting and sitegen.yaml validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.config import load_config
from sitegen.errors import BuildError, SitegenError
from sitegen.frontmatter import split_front_matter


def test_split_reports_lines_of_keys_and_body() -> None:
    fm = split_front_matter("---\ntitle: x\ndate: 2026-10-02\nperson:\n  name: A\n---\nbody\n", "a.md")
    assert fm.meta["date"] == "2026-10-02"  # dates are validated by sitegen, not YAML
    assert fm.lines == {"title": 2, "date": 3, "person": 4, "person.name": 5}
    assert fm.body == "body\n" and fm.body_line == 7


def test_no_front_matter_is_all_body() -> None:
    fm = split_front_matter("# Hello\n", "a.md")
    assert fm.meta == {} and fm.body == "# Hello\n" and fm.body_line == 1


def test_unclosed_fence_names_line_one() -> None:
    with pytest.raises(SitegenError) as info:
        split_front_matter("---\ntitle: x\n\nbody\n", "a.md")
    assert info.value.problem.line == 1 and "never closed" in info.value.problem.message


def test_yaml_error_line_counts_the_fence() -> None:
    with pytest.raises(SitegenError) as info:
        split_front_matter("---\ntitle: ok\nsummary: a: b\n---\n", "a.md")
    assert info.value.problem.line == 3
    assert "quotes" in (info.value.problem.hint or "")


@pytest.mark.parametrize("text, line, key", [
    ("---\ntitle: x\nsummary: First.\ndate: 2026-10-02\nsummary: Second.\n---\n", 5, "summary"),
    ("---\ntitle: x\nperson:\n  name: A\n  role: B\n  name: C\n---\n", 6, "person.name"),
])
def test_a_key_set_twice_is_refused_with_both_lines(text: str, line: int, key: str) -> None:
    """YAML would keep the last value without a word, and the writer would edit the other."""
    with pytest.raises(SitegenError) as info:
        split_front_matter(text, "a.md")
    problem = info.value.problem
    assert problem.path == "a.md" and problem.line == line
    assert f"'{key}' is set twice" in problem.message and f"and {line})" in problem.message
    # The same key in two different mappings is no repetition:
    fm = split_front_matter("---\ntitle: x\nperson:\n  name: A\nname: B\n---\n", "a.md")
    assert fm.lines["person.name"] == 4 and fm.lines["name"] == 5


def test_a_setting_set_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sitegen.yaml").write_text("title: Hub\nbase_url: https://example.org/\ntitle: Other\n")
    with pytest.raises(SitegenError) as info:
        load_config(tmp_path)
    assert info.value.problem.path == "sitegen.yaml" and info.value.problem.line == 3


def test_tabs_get_a_hint() -> None:
    with pytest.raises(SitegenError) as info:
        split_front_matter("---\nperson:\n\tname: A\n---\n", "a.md")
    assert "tabs" in (info.value.problem.hint or "")


def test_list_front_matter_is_refused() -> None:
    with pytest.raises(SitegenError) as info:
        split_front_matter("---\n- a\n- b\n---\n", "a.md")
    assert "not a list" in info.value.problem.message


def _config(tmp_path: Path, text: str) -> Path:
    (tmp_path / "sitegen.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_config_defaults(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, "title: Hub\nbase_url: https://u.github.io/repo\n"))
    assert config.base_url == "https://u.github.io/repo/"
    assert config.language == "en" and config.timezone == "UTC" and config.page_size == 10
    assert config.output == (tmp_path / "_site").resolve()


def test_config_reports_every_problem_with_key_and_line(tmp_path: Path) -> None:
    root = _config(tmp_path, "titel: Hub\nbase_url: ftp://x\npage_size: many\ntimezone: Mars/Olympus\n")
    with pytest.raises(BuildError) as info:
        load_config(root)
    messages = {p.message: p for p in info.value.problems}
    unknown = next(p for m, p in messages.items() if m.startswith("'titel'"))
    assert "did you mean 'title'" in unknown.message and unknown.line == 1
    assert any(m.startswith("'title' is missing") for m in messages)
    assert any(m.startswith("'base_url' must be an absolute") and p.line == 2 for m, p in messages.items())
    assert any(m.startswith("'page_size' must be a whole number") and p.line == 3 for m, p in messages.items())
    assert any(m.startswith("'timezone' is not a known time zone") for m in messages)
    assert all(p.path == "sitegen.yaml" for p in info.value.problems)


def test_config_base_url_override(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, "title: Hub\nbase_url: https://a.org/\n"), base_url="https://b.org/x/")
    assert config.urls.base_path == "/x/" and config.urls.origin == "https://b.org"


def test_config_missing_file_has_a_hint(tmp_path: Path) -> None:
    with pytest.raises(SitegenError) as info:
        load_config(tmp_path)
    assert "sitegen init" in (info.value.problem.hint or "")
