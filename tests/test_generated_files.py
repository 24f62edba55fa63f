"""The rule for comparing committed generated files with a fresh write (tests/generated_files.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from generated_files import assert_generated_file_matches


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new"),
    [("0.304813", "0.304812"), ("27.67", "27.68"), ("1.5e-07", "1.6e-07")],
)
def test_a_flip_in_the_last_written_decimal_is_accepted(tmp_path, old, new):
    a = write(tmp_path, "a.csv", f"id,x\n1,{old}\n")
    b = write(tmp_path, "b.csv", f"id,x\n1,{new}\n")
    assert_generated_file_matches(a, b)


@pytest.mark.parametrize(
    ("old", "new"),
    [("0.304813", "0.304815"), ("27.67", "27.70"), ("5", "6"), ("store", "online")],
)
def test_a_real_change_fails_naming_line_and_column(tmp_path, old, new):
    a = write(tmp_path, "a.csv", f"id,x\n1,{old}\n")
    b = write(tmp_path, "b.csv", f"id,x\n1,{new}\n")
    with pytest.raises(AssertionError, match="line 2, column x"):
        assert_generated_file_matches(a, b)


def test_json_numbers_follow_the_same_rule_and_keys_must_match(tmp_path):
    a = write(tmp_path, "a.json", json.dumps({"r2": {"loyalty": 0.304813}, "n": 800}))
    b = write(tmp_path, "b.json", json.dumps({"r2": {"loyalty": 0.304812}, "n": 800}))
    assert_generated_file_matches(a, b)
    c = write(tmp_path, "c.json", json.dumps({"r2": {"loyalty": 0.304813}, "n": 801}))
    with pytest.raises(AssertionError, match=r"a.json.n"):
        assert_generated_file_matches(a, c)
    d = write(tmp_path, "d.json", json.dumps({"r2": {"memory": 0.304813}, "n": 800}))
    with pytest.raises(AssertionError, match="keys differ"):
        assert_generated_file_matches(a, d)
