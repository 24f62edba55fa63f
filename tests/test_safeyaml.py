"""Strict YAML: no YAML 1.1 surprises, no duplicate keys, no alias bombs, clear errors."""

from __future__ import annotations

import time

import pytest

from workbench.errors import InputError
from workbench.safeyaml import MAX_BYTES, load_yaml, load_yaml_file


def param(text: str):
    return load_yaml(text, source="parameter 'x'", what="parameter")


@pytest.mark.parametrize("word", ["ON", "OFF", "YES", "NO", "on", "off", "yes", "no", "y", "n"])
def test_yaml_1_1_boolean_words_stay_text(word):
    assert load_yaml(f"constructs:\n  c: [{word}, Q2]\n", source="cb.yaml") == {
        "constructs": {"c": [word, "Q2"]}
    }


@pytest.mark.parametrize(("text", "value"), [("true", True), ("False", False), ("TRUE", True)])
def test_true_and_false_are_booleans(text, value):
    assert param(text) is value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5", 5),
        ("-2", -2),
        ("+7", 7),
        ("1_000", 1000),
        ("010", 10),  # not octal
        ("0x1F", 31),
        ("0.5", 0.5),
        (".5", 0.5),
        ("3.", 3.0),
        ("1e9", 1e9),  # YAML 1.1 reads this as text
        ("1E9", 1e9),
        ("-1.5e-3", -1.5e-3),
        (".inf", float("inf")),
    ],
)
def test_numbers_in_any_usual_spelling(text, value):
    result = param(text)
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize("text", ["2025-01-01", "2025-13-45", "1:30", "12:30:00", "1e", "e5"])
def test_dates_times_and_near_numbers_stay_text(text):
    assert param(text) == text


def test_a_duplicate_key_names_both_lines():
    with pytest.raises(InputError, match=r"'trust' is given twice \(lines 2 and 4\)") as info:
        load_yaml("constructs:\n  trust: [a]\n  value: [b]\n  trust: [c]\n", source="cb.yaml")
    assert info.value.file == "cb.yaml"


def test_an_alias_bomb_is_refused_at_once():
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    start = time.perf_counter()
    with pytest.raises(InputError, match="anchors"):
        load_yaml(bomb, source="labels.yaml")
    assert time.perf_counter() - start < 5


def test_aliases_are_refused_with_the_line():
    with pytest.raises(InputError, match=r"aliases \(\*s\).*line 2"):
        load_yaml("x: 1\ny: *s\n", source="cb.yaml")


def test_invalid_yaml_names_line_and_column_without_a_traceback():
    with pytest.raises(InputError, match="not valid YAML at line 2") as info:
        load_yaml("a: [1, 2\nb: c: d\n", source="cb.yaml")
    assert "What to do" in str(info.value)


def test_a_parameter_error_names_the_parameter_not_a_file():
    with pytest.raises(InputError, match="value of parameter 'x' is not valid YAML") as info:
        param("[1, 2")
    assert info.value.file is None


def test_a_huge_document_is_refused(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("x: " + "a" * (MAX_BYTES + 1), encoding="utf-8")
    with pytest.raises(InputError, match="larger than"):
        load_yaml_file(path)


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("标签: 信任".encode("gb18030"))
    with pytest.raises(InputError, match="not UTF-8") as info:
        load_yaml_file(path)
    assert info.value.file == str(path)


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufefftitle: 满意度\n".encode())
    assert load_yaml_file(path) == {"title": "满意度"}


def test_a_deeply_nested_document_is_refused_without_a_traceback():
    with pytest.raises(InputError, match="nested too deeply"):
        load_yaml("[" * 5000 + "]" * 5000, source="cb.yaml")
