"""The YAML codebook: both construct forms, Chinese labels, and clear validation errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from workbench.errors import InputError
from workbench.intake.codebook import Codebook, load_codebook
from workbench.intake.data import load_survey, read_table

DATA = Path(__file__).resolve().parents[1] / "data"
ALL_CODEBOOKS = sorted(DATA.glob("*.codebook.yaml"))
# templates describe a questionnaire to field and ship without data
SHIPPED_CODEBOOKS = [p for p in ALL_CODEBOOKS if "template" not in p.name]
TEMPLATE_CODEBOOKS = [p for p in ALL_CODEBOOKS if "template" in p.name]

VALID = {
    "title": "Member loyalty survey 2026",
    "id": "respondent_id",
    "scale": {"min": 1, "max": 7},
    "missing_codes": [99, -9],
    "constructs": {
        "trust": ["TR1", "TR2", "TR3"],
        "satisfaction": {"items": ["SA1", "SA2", "SA3"], "label": "Satisfaction / 满意度"},
    },
    "reverse_coded": ["TR3"],
    "labels": {"TR1": "我相信这个品牌会信守承诺"},
}


def with_changes(**changes):
    """VALID with some keys replaced; a value of None removes the key."""
    raw = {k: v for k, v in VALID.items() if k not in changes}
    raw.update({k: v for k, v in changes.items() if v is not None})
    return raw


def write_yaml(tmp_path: Path, text: str, name: str = "survey.codebook.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(raw, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        Codebook.from_dict(raw, **kwargs)
    return info.value


# --------------------------------------------------------------------------- valid
def test_list_and_mapping_construct_forms_both_load():
    cb = Codebook.from_dict(VALID)
    assert cb.items == ("TR1", "TR2", "TR3", "SA1", "SA2", "SA3")
    assert cb.constructs["trust"].items == ("TR1", "TR2", "TR3")
    assert cb.constructs["trust"].label is None
    assert cb.constructs["satisfaction"].items == ("SA1", "SA2", "SA3")
    assert cb.construct_items == {
        "trust": ["TR1", "TR2", "TR3"],
        "satisfaction": ["SA1", "SA2", "SA3"],
    }
    assert cb.construct_of("SA2") == "satisfaction"
    assert cb.scale is not None and (cb.scale.min, cb.scale.max) == (1, 7)
    assert cb.missing_codes == (99, -9)
    assert cb.reverse_coded == ("TR3",)
    assert cb.id == "respondent_id"
    assert cb.warnings == ()


def test_chinese_labels_survive_a_yaml_round_trip(tmp_path):
    path = write_yaml(
        tmp_path,
        """\
        title: 会员忠诚度调查
        scale: {min: 1, max: 5}
        constructs:
          信任: [TR1, TR2]
          satisfaction: {items: [SA1, SA2], label: "Satisfaction / 满意度"}
        labels:
          TR1: 我相信这个品牌会信守承诺
        """,
    )
    cb = load_codebook(path)
    assert cb.title == "会员忠诚度调查"
    assert cb.label("satisfaction") == "Satisfaction / 满意度"
    assert cb.label("TR1") == "我相信这个品牌会信守承诺"
    assert cb.label("TR2") == "TR2"  # no label: the code stands in
    assert cb.construct_of("TR2") == "信任"
    assert cb.path == str(path)


def test_reverse_scoring_is_min_plus_max_minus_x():
    cb = Codebook.from_dict(VALID)
    assert [cb.scale.reverse(x) for x in (1, 4, 7)] == [7, 4, 1]


def test_single_item_construct_is_a_warning_not_an_error():
    cb = Codebook.from_dict(
        with_changes(constructs={"trust": ["TR1", "TR2", "TR3"], "nps": ["NPS"]})
    )
    assert "nps" in cb.constructs
    assert len(cb.warnings) == 1
    assert "'nps'" in cb.warnings[0] and "single item" in cb.warnings[0]
    assert "NPS" in cb.warnings[0]


def test_title_defaults_to_the_file_name(tmp_path):
    path = write_yaml(tmp_path, "constructs: {trust: [TR1, TR2]}\n", name="members.yaml")
    assert load_codebook(path).title == "members"


# --------------------------------------------------------------------------- errors
def test_unknown_top_level_key_is_named_with_a_suggestion():
    err = error_of(with_changes(constructts={"trust": ["TR1", "TR2"]}), path="cb.yaml")
    assert "Unknown codebook key 'constructts'" in err.message
    assert "Did you mean 'constructs'?" in err.message
    assert "Accepted keys:" in err.message
    assert err.file == "cb.yaml"


def test_unknown_construct_key_is_named_with_the_accepted_keys():
    raw = with_changes(constructs={"trust": {"items": ["TR1", "TR2"], "lable": "Trust"}})
    err = error_of(raw)
    assert "Unknown key 'lable' in construct 'trust'" in err.message
    assert "items, label, description" in err.message


def test_item_in_two_constructs_names_both():
    raw = with_changes(constructs={"trust": ["TR1", "TR2"], "value": ["PV1", "TR2"]})
    err = error_of(raw)
    assert "Item 'TR2' is listed in two constructs: 'trust' and 'value'" in err.message
    assert err.column == "TR2"
    assert "remove it from one of them" in err.message


def test_item_listed_twice_in_one_construct_is_rejected():
    err = error_of(with_changes(constructs={"trust": ["TR1", "TR1"]}, reverse_coded=None))
    assert "listed twice in construct 'trust'" in err.message


@pytest.mark.parametrize(
    "constructs",
    [{}, None, ["TR1", "TR2"]],
    ids=["empty-mapping", "absent", "a-list"],
)
def test_missing_or_empty_constructs_are_rejected(constructs):
    raw = with_changes(constructs=constructs, reverse_coded=[])  # None drops the key
    err = error_of(raw)
    assert "needs a `constructs` mapping" in err.message


def test_construct_without_items_is_rejected():
    err = error_of(with_changes(constructs={"trust": []}, reverse_coded=[]))
    assert "Construct 'trust' must list its items" in err.message


@pytest.mark.parametrize(
    ("scale", "expected"),
    [
        ({"min": 7, "max": 1}, "min (7) must be below max (1)"),
        ({"min": 5, "max": 5}, "min (5) must be below max (5)"),
        ({"min": 1}, "exactly `min` and `max`"),
        ({"min": 1, "max": 7, "step": 1}, "exactly `min` and `max`"),
        ({"min": "one", "max": 7}, "must be numbers"),
        ([1, 7], "exactly `min` and `max`"),
    ],
    ids=["min-above-max", "min-equals-max", "missing-max", "extra-key", "text", "a-list"],
)
def test_bad_scale_is_rejected(scale, expected):
    err = error_of(with_changes(scale=scale))
    assert expected in err.message
    assert "scale" in err.message


def test_missing_code_inside_the_scale_is_rejected():
    err = error_of(with_changes(missing_codes=[99, 4]))
    assert "Missing code 4 lies inside the response scale 1..7" in err.message
    assert "real answers would be discarded" in err.message


def test_missing_codes_must_be_numbers():
    err = error_of(with_changes(missing_codes=["n/a"]))
    assert "`missing_codes` must be a list of numbers" in err.message


def test_reverse_coded_item_outside_every_construct_is_rejected():
    err = error_of(with_changes(reverse_coded=["TR4"]))
    assert "Reverse-coded item 'TR4' is not an item of any construct" in err.message
    assert "Did you mean" in err.message and "'TR1'" in err.message
    assert err.column == "TR4"


def test_reverse_coded_without_scale_is_rejected():
    raw = with_changes(scale=None, missing_codes=None)  # no scale at all
    assert "scale" not in raw
    err = error_of(raw)
    assert "`reverse_coded` needs a `scale`" in err.message
    assert "min + max - x" in err.message


def test_non_mapping_codebook_is_rejected(tmp_path):
    path = write_yaml(tmp_path, "- TR1\n- TR2\n")
    with pytest.raises(InputError) as info:
        load_codebook(path)
    assert "must be a YAML mapping" in info.value.message
    assert info.value.file == str(path)


def test_empty_codebook_file_is_rejected(tmp_path):
    path = write_yaml(tmp_path, "")
    with pytest.raises(InputError, match="must be a YAML mapping"):
        load_codebook(path)


def test_invalid_yaml_reports_the_line_number(tmp_path):
    path = write_yaml(
        tmp_path,
        """\
        title: Broken
        scale: {min: 1, max: 7}
        constructs:
          trust: [TR1, TR2
          value: [PV1, PV2]
        """,
    )
    with pytest.raises(InputError) as info:
        load_codebook(path)
    msg = info.value.message
    assert "not valid YAML at line" in msg
    line = int(msg.split("at line ")[1].split(",")[0])
    assert 4 <= line <= 6  # the unclosed bracket opens on line 4
    assert str(path) in msg


def test_codebook_file_not_found_names_the_path(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(InputError) as info:
        load_codebook(path)
    assert "Codebook file not found" in info.value.message
    assert str(path) in info.value.message
    assert "--codebook" in info.value.message


def test_non_utf8_codebook_is_rejected(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("constructs: {信任: [TR1, TR2]}\n".encode("gb18030"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_codebook(path)


# --------------------------------------------------------------------------- columns
def test_check_columns_suggests_the_closest_column_names():
    cb = Codebook.from_dict(with_changes(id=None))
    columns = ["TR1", "TR_2", "TR3", "SA1", "SA2", "SA3"]
    with pytest.raises(InputError) as info:
        cb.check_columns(columns, file="survey.csv")
    err = info.value
    assert "Codebook item 'TR2' is not a column of the data" in err.message
    assert "Did you mean 'TR_2'" in err.message
    assert err.file == "survey.csv" and err.column == "TR2"


def test_check_columns_lists_every_absent_item():
    cb = Codebook.from_dict(with_changes(id=None))
    with pytest.raises(InputError) as info:
        cb.check_columns(["TR1", "TR2", "TR3"])
    assert "3 codebook items are absent: SA1, SA2, SA3" in info.value.message


def test_check_columns_reports_a_missing_id_column_with_a_suggestion():
    cb = Codebook.from_dict(VALID)
    columns = ["respondent", *Codebook.from_dict(VALID).items]
    with pytest.raises(InputError) as info:
        cb.check_columns(columns, file="survey.csv")
    assert "id column 'respondent_id' is not in the data" in info.value.message
    assert "Did you mean 'respondent'" in info.value.message


def test_check_columns_accepts_matching_data():
    cb = Codebook.from_dict(VALID)
    cb.check_columns(["respondent_id", *cb.items, "extra"])


def test_a_construct_named_like_a_data_column_is_refused_as_ambiguous():
    cb = Codebook.from_dict(VALID)
    with pytest.raises(InputError) as info:
        cb.check_columns(["respondent_id", *cb.items, "trust"], file="survey.csv")
    err = info.value
    assert "construct 'trust' has the same name as a column" in err.message
    assert err.column == "trust" and "Rename the construct" in err.hint


def test_a_one_item_construct_may_share_its_items_name():
    raw = dict(VALID, constructs={**VALID["constructs"], "nps": ["nps"]})
    cb = Codebook.from_dict(raw)
    cb.check_columns(["respondent_id", *cb.items])


# --------------------------------------------------------------------------- shipped
@pytest.mark.parametrize("codebook", SHIPPED_CODEBOOKS, ids=lambda p: p.name)
def test_every_shipped_codebook_loads_and_matches_its_data(codebook):
    cb = load_codebook(codebook)
    data = codebook.with_name(codebook.name.replace(".codebook.yaml", ".csv"))
    assert data.exists(), f"{codebook.name} has no data file"
    survey = load_survey(data, cb)
    assert survey.n == len(read_table(data).frame) > 100
    assert list(survey.items.columns) == list(cb.items)
    for item in cb.reverse_coded:
        raw = survey.raw[item].mask(survey.raw[item].isin(cb.missing_codes))
        assert (survey.items[item].dropna() == (cb.scale.min + cb.scale.max - raw).dropna()).all()


@pytest.mark.parametrize("codebook", TEMPLATE_CODEBOOKS, ids=lambda p: p.name)
def test_template_codebooks_load_cleanly_with_bilingual_labels(codebook):
    cb = load_codebook(codebook)
    assert not cb.warnings
    assert cb.scale is not None and len(cb.constructs) >= 4
    for item in cb.items:
        assert " / " in cb.labels[item], item  # "English / 中文"


def test_shipped_codebooks_are_all_found():
    names = {p.name for p in SHIPPED_CODEBOOKS}
    assert {"loyalty_survey.codebook.yaml", "corp_rep.codebook.yaml"} <= names


def test_the_id_column_listed_as_an_item_is_refused():
    raw = dict(VALID, constructs={**VALID["constructs"], "extra": ["respondent_id", "X1"]})
    cb = Codebook.from_dict(raw)
    with pytest.raises(InputError, match="id column 'respondent_id' is also listed as an item"):
        cb.check_columns(["respondent_id", *cb.items])
