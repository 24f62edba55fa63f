"""Data intake: every supported format, every listed bad input, missing codes and reverse coding.

For each bad input the error message is checked (file, column, data row, value,
what to do) and the input file's bytes are checked unchanged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import sha256

from workbench.errors import InputError
from workbench.intake.codebook import Codebook, load_codebook
from workbench.intake.data import complete_cases, load_survey, read_table, require_respondents

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DATA = Path(__file__).resolve().parents[1] / "data"
MESSY_CSV = FIXTURES / "messy_survey.csv"
MESSY_CODEBOOK = FIXTURES / "messy_survey.codebook.yaml"
ITEMS = ["TR1", "TR2", "TR3", "SA1", "SA2", "SA3"]


@pytest.fixture
def codebook() -> Codebook:
    return load_codebook(MESSY_CODEBOOK)


@pytest.fixture
def messy_frame() -> pd.DataFrame:
    """The messy fixture as plain values (missing codes still in place)."""
    return pd.read_csv(MESSY_CSV, encoding="utf-8")


@pytest.fixture
def messy_csv(tmp_path) -> Path:
    path = tmp_path / "survey.csv"
    shutil.copy(MESSY_CSV, path)
    return path


def edit_csv(tmp_path: Path, replace: dict[tuple[int, str], str], name="survey.csv") -> Path:
    """Copy the messy fixture with some cells replaced: ``{(data_row, column): text}``."""
    lines = MESSY_CSV.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    for (row, column), text in replace.items():
        cells = lines[row].split(",")
        cells[header.index(column)] = text
        lines[row] = ",".join(cells)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rejected(path: Path, codebook, *fragments: str) -> InputError:
    """load_survey must raise InputError containing every fragment and leave the file alone."""
    before = sha256(path)
    codebook_before = sha256(codebook) if isinstance(codebook, Path) else None
    with pytest.raises(InputError) as info:
        load_survey(path, codebook)
    message = info.value.message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in message:\n{message}"
    assert "Traceback" not in message
    assert "What to do:" in message
    assert sha256(path) == before, "the input file was modified"
    if codebook_before is not None:
        assert sha256(codebook) == codebook_before, "the codebook was modified"
    return info.value


# =========================================================================== formats
def expected_items(messy_frame: pd.DataFrame) -> pd.DataFrame:
    items = messy_frame[ITEMS].astype(float).mask(messy_frame[ITEMS].isin([9, -9]))
    items["TR3"] = 1 + 5 - items["TR3"]
    return items


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_is_read_in_utf8_utf8_bom_and_gb18030(tmp_path, codebook, messy_frame, encoding):
    path = tmp_path / f"survey-{encoding}.csv"
    path.write_bytes(MESSY_CSV.read_text(encoding="utf-8").encode(encoding))
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):  # really not UTF-8
            path.read_bytes().decode("utf-8")
    before = sha256(path)

    table = read_table(path)
    assert list(table.frame.columns) == list(messy_frame.columns)  # no BOM left on 'respondent_id'
    assert table.frame["会员等级"].tolist() == messy_frame["会员等级"].tolist()
    assert table.frame["会员等级"].iloc[0] == "金卡"
    assert pd.api.types.is_numeric_dtype(table.frame["TR1"])
    assert table.encoding == ("gb18030" if encoding == "gb18030" else "utf-8-sig")

    survey = load_survey(path, codebook)
    pd.testing.assert_frame_equal(
        survey.items.reset_index(drop=True), expected_items(messy_frame), check_dtype=False
    )
    assert sha256(path) == before


def test_gb18030_csv_with_chinese_header_and_labels(tmp_path):
    path = tmp_path / "导出.csv"
    text = "编号,满意度1,满意度2,城市\n1,5,4,北京\n2,3,3,上海\n3,4,5,广州\n"
    path.write_bytes(text.encode("gb18030"))
    cb = Codebook.from_dict(
        {
            "id": "编号",
            "scale": {"min": 1, "max": 5},
            "constructs": {"满意度": {"items": ["满意度1", "满意度2"], "label": "满意度"}},
        }
    )
    survey = load_survey(path, cb)
    assert survey.encoding == "gb18030"
    assert survey.frame["城市"].tolist() == ["北京", "上海", "广州"]
    assert survey.items["满意度1"].tolist() == [5.0, 3.0, 4.0]


def test_xlsx_is_read(tmp_path, codebook, messy_frame):
    path = tmp_path / "survey.xlsx"
    messy_frame.to_excel(path, index=False, engine="openpyxl")
    table = read_table(path)
    assert table.frame["会员等级"].tolist() == messy_frame["会员等级"].tolist()
    assert pd.api.types.is_numeric_dtype(table.frame["TR1"])
    survey = load_survey(path, codebook)
    pd.testing.assert_frame_equal(
        survey.items.reset_index(drop=True), expected_items(messy_frame), check_dtype=False
    )


def _labelled(messy_frame: pd.DataFrame) -> tuple[pd.DataFrame, dict, dict]:
    frame = messy_frame.drop(columns=["会员等级"]).astype(float)
    frame["tier"] = [1.0, 2.0, 2.0, 1.0, 3.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0]
    value_labels = {
        "tier": {1: "金卡", 2: "银卡", 3: "普通"},
        "TR1": {1: "非常不同意", 5: "非常同意", 9: "未回答"},
    }
    column_labels = {"TR1": "我相信这个品牌会信守承诺", "tier": "会员等级"}
    return frame, value_labels, column_labels


@pytest.mark.parametrize("kind", ["sav", "dta"])
def test_spss_and_stata_files_keep_value_labels(tmp_path, codebook, messy_frame, kind):
    import pyreadstat

    frame, value_labels, column_labels = _labelled(messy_frame)
    path = tmp_path / f"survey.{kind}"
    if kind == "sav":
        pyreadstat.write_sav(
            frame, path, variable_value_labels=value_labels, column_labels=column_labels
        )
    else:
        pyreadstat.write_dta(
            frame, path, variable_value_labels=value_labels, column_labels=column_labels
        )
    before = sha256(path)

    table = read_table(path)
    assert table.value_labels["tier"] == {1: "金卡", 2: "银卡", 3: "普通"}
    assert table.value_labels["TR1"][5] == "非常同意"
    assert table.column_labels["tier"] == "会员等级"
    assert table.frame["TR1"].tolist()[:4] == [4, 5, 2, 9]

    survey = load_survey(path, codebook)
    assert survey.value_labels["tier"][1] == "金卡"
    pd.testing.assert_frame_equal(
        survey.items.reset_index(drop=True), expected_items(messy_frame), check_dtype=False
    )
    assert sha256(path) == before


def test_parquet_is_read(tmp_path, codebook, messy_frame):
    path = tmp_path / "survey.parquet"
    messy_frame.to_parquet(path, index=False)
    table = read_table(path)
    assert table.frame["会员等级"].tolist() == messy_frame["会员等级"].tolist()
    survey = load_survey(path, codebook)
    pd.testing.assert_frame_equal(
        survey.items.reset_index(drop=True), expected_items(messy_frame), check_dtype=False
    )


# =========================================================================== preparation
def test_missing_codes_become_nan_and_are_counted(messy_csv, codebook):
    survey = load_survey(messy_csv, codebook)
    # 9 in TR1 (rows 4, 11); -9 and 9 in TR2 (rows 5, 11); 9 everywhere in row 11
    assert survey.missing_codes_replaced == {
        "TR1": 2,
        "TR2": 2,
        "TR3": 1,
        "SA1": 1,
        "SA2": 1,
        "SA3": 1,
    }
    items = survey.items
    assert not items.isin([9, -9]).any().any()
    assert items.iloc[10].isna().all()  # respondent 111 answered nothing
    assert np.isnan(items.loc[3, "TR1"]) and np.isnan(items.loc[4, "TR2"])
    # the raw frame keeps the codes as read
    assert survey.raw.loc[3, "TR1"] == 9 and survey.raw.loc[4, "TR2"] == -9


def test_reverse_coded_item_is_min_plus_max_minus_x(messy_csv, codebook):
    survey = load_survey(messy_csv, codebook)
    raw = survey.raw["TR3"].mask(survey.raw["TR3"].isin([9, -9]))
    pd.testing.assert_series_equal(survey.items["TR3"], (6 - raw).astype(float), check_names=False)
    assert survey.items["TR3"].tolist()[:3] == [2.0, 5.0, 2.0]
    assert survey.items["TR1"].tolist()[:3] == [4.0, 5.0, 2.0]  # not reversed


def test_nothing_is_imputed(messy_csv, codebook):
    survey = load_survey(messy_csv, codebook)
    # every NaN is a declared code or an empty cell: 8 codes + 1 empty cell (105, SA2)
    assert int(survey.items.isna().sum().sum()) == 8 + 1
    assert np.isnan(survey.items.loc[4, "SA2"])

    listwise, report = complete_cases(survey.items, missing="listwise")
    assert report == {"treatment": "listwise", "n_total": 12, "n_used": 9, "n_dropped": 3}
    assert not listwise.isna().any().any()
    assert listwise.index.tolist() == [0, 1, 2, 5, 6, 7, 8, 9, 11]

    pairwise, report = complete_cases(survey.items, missing="pairwise")
    assert report["treatment"] == "pairwise" and report["n_total"] == 12
    assert report["n_used"] == 11  # respondent 111 has no answer at all
    assert report["n_dropped"] == 0
    assert int(pairwise.isna().sum().sum()) == 9  # NaN stays NaN


def test_unknown_missing_treatment_names_the_valid_values(messy_csv, codebook):
    survey = load_survey(messy_csv, codebook)
    with pytest.raises(ValueError, match=r"listwise.*pairwise") as info:
        complete_cases(survey.items, missing="mean")  # type: ignore[arg-type]
    assert "'mean'" in str(info.value)


def test_loading_never_modifies_the_input_files(messy_csv, codebook):
    before = sha256(messy_csv), sha256(MESSY_CODEBOOK)
    load_survey(messy_csv, MESSY_CODEBOOK)
    assert (sha256(messy_csv), sha256(MESSY_CODEBOOK)) == before


def test_sha256_of_the_data_is_recorded(messy_csv, codebook):
    assert load_survey(messy_csv, codebook).sha256 == sha256(messy_csv)


def test_codebook_warnings_are_carried_to_the_survey(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("A1,A2,NPS\n1,2,3\n2,2,4\n3,1,5\n", encoding="utf-8")
    cb = Codebook.from_dict(
        {"scale": {"min": 1, "max": 5}, "constructs": {"a": ["A1", "A2"], "nps": ["NPS"]}}
    )
    survey = load_survey(path, cb)
    assert any("single item" in w and "nps" in w for w in survey.warnings)


# =========================================================================== bad input
def test_data_file_not_found(tmp_path, codebook):
    path = tmp_path / "missing.csv"
    with pytest.raises(InputError) as info:
        load_survey(path, codebook)
    message = info.value.message
    assert "Data file not found" in message
    assert str(path) in message
    assert "--data" in message
    assert not path.exists()


def test_data_path_that_is_a_folder(tmp_path):
    with pytest.raises(InputError, match="folder, not a file"):
        read_table(tmp_path)


@pytest.mark.parametrize("name", ["survey.json", "survey.sas7bdat", "survey"])
def test_unsupported_extension(tmp_path, codebook, name):
    path = tmp_path / name
    path.write_text('{"TR1": [1, 2]}', encoding="utf-8")
    err = rejected(path, codebook, "Unsupported file type", str(path), "CSV, XLSX")
    assert err.file == str(path)


@pytest.mark.parametrize("suffix", [".xlsx", ".sav", ".dta", ".parquet"])
def test_corrupt_file_is_reported_as_unreadable(tmp_path, codebook, suffix):
    path = tmp_path / f"survey{suffix}"
    path.write_bytes(b"\x00\x01garbage, not a real file\xff\xfe" * 20)
    rejected(path, codebook, "could not be read as", str(path), "not damaged")


def test_csv_in_an_unknown_encoding_is_rejected(tmp_path, codebook):
    path = tmp_path / "survey.csv"
    path.write_bytes(b"respondent_id,TR1\n1,\xff\xff\xff\n")
    rejected(path, codebook, "neither UTF-8 nor GB18030", "CSV UTF-8")


def test_empty_csv_is_rejected(tmp_path, codebook):
    path = tmp_path / "survey.csv"
    path.write_text("\n", encoding="utf-8")
    rejected(path, codebook, "The data file is empty", str(path))


def test_codebook_items_absent_from_the_data(tmp_path):
    text = MESSY_CSV.read_text(encoding="utf-8").replace(",SA2,", ",SA_2,", 1)
    path = tmp_path / "survey.csv"
    path.write_text(text, encoding="utf-8")
    err = rejected(
        path,
        MESSY_CODEBOOK,
        "Codebook item 'SA2' is not a column of the data",
        "Did you mean 'SA_2'",
        str(path),
        str(MESSY_CODEBOOK),
    )
    assert err.column == "SA2"


def test_id_column_absent_from_the_data(tmp_path, codebook):
    text = MESSY_CSV.read_text(encoding="utf-8").replace("respondent_id", "respondent", 1)
    path = tmp_path / "survey.csv"
    path.write_text(text, encoding="utf-8")
    rejected(path, codebook, "id column 'respondent_id'", "Did you mean 'respondent'")


def test_non_numeric_value_names_file_column_row_and_value(tmp_path, codebook):
    path = edit_csv(tmp_path, {(4, "SA2"): "n/a", (7, "SA2"): "不知道"})
    err = rejected(
        path,
        codebook,
        "Non-numeric value",
        "2 such value(s)",
        f"file '{path}'",
        "column 'SA2'",
        "data row 4",
        "value 'n/a'",
        "missing_codes",
    )
    assert (err.file, err.column, err.row, err.value) == (str(path), "SA2", 4, "n/a")


def test_non_numeric_chinese_value_is_reported(tmp_path, codebook):
    path = edit_csv(tmp_path, {(9, "TR1"): "不知道"})
    err = rejected(path, codebook, "column 'TR1'", "data row 9", "value '不知道'")
    assert err.row == 9


def test_value_outside_the_scale_that_is_not_a_missing_code(tmp_path, codebook):
    path = edit_csv(tmp_path, {(6, "TR2"): "8", (8, "TR2"): "0"})
    err = rejected(
        path,
        codebook,
        "Value outside the scale 1..5",
        "declared missing codes: 9, -9",
        "2 such value(s)",
        f"file '{path}'",
        "column 'TR2'",
        "data row 6",
        "value 8",
        "missing_codes",
    )
    assert (err.column, err.row, err.value) == ("TR2", 6, 8)


def test_value_outside_the_scale_in_a_reverse_coded_item(tmp_path, codebook):
    # checked on the answer as given, before reverse coding
    path = edit_csv(tmp_path, {(3, "TR3"): "6"})
    err = rejected(path, codebook, "column 'TR3'", "data row 3", "value 6")
    assert err.value == 6


def test_duplicate_ids_name_both_rows(tmp_path, codebook):
    path = edit_csv(tmp_path, {(7, "respondent_id"): "103"})
    err = rejected(
        path,
        codebook,
        "Duplicate respondent id",
        "first seen in data row 3",
        "column 'respondent_id'",
        "data row 7",
        "value 103",
    )
    assert (err.row, err.value) == (7, 103)


def test_missing_id_is_rejected(tmp_path, codebook):
    path = edit_csv(tmp_path, {(5, "respondent_id"): ""})
    rejected(path, codebook, "respondent id is missing", "column 'respondent_id'", "data row 5")


@pytest.mark.parametrize("fill", ["", "9"], ids=["empty-cells", "missing-codes"])
def test_all_missing_column_is_rejected(tmp_path, codebook, fill):
    path = edit_csv(tmp_path, {(row, "SA3"): fill for row in range(1, 13)})
    err = rejected(path, codebook, "no answers at all", "column 'SA3'", str(path))
    assert err.column == "SA3"


def test_too_few_respondents_for_a_method():
    with pytest.raises(InputError) as info:
        require_respondents(2, 3, method="scale reliability", file="survey.csv")
    message = info.value.message
    assert "Only 2 usable respondent(s) remain" in message
    assert "scale reliability needs at least 3" in message
    assert "file 'survey.csv'" in message
    assert "pairwise" in message  # what to do
    require_respondents(3, 3, method="scale reliability")  # enough: no error
    with pytest.raises(InputError) as info:
        require_respondents(2, 3, method="scale reliability", missing="pairwise")
    assert "pairwise" not in info.value.hint  # already pairwise: no use suggesting it


def test_too_few_respondents_through_the_study(tmp_path, codebook):
    from workbench.studies import factor_analysis

    # rows 101, 104 and 111: only respondent 101 answered every item
    lines = MESSY_CSV.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "few.csv"
    path.write_text("\n".join([lines[0], lines[1], lines[4], lines[11]]) + "\n", "utf-8")
    before = sha256(path)
    survey = load_survey(path, codebook)
    with pytest.raises(InputError) as info:
        factor_analysis.analyse(survey, missing="listwise")
    message = info.value.message
    assert "Only 1 usable respondent(s) remain" in message
    assert "needs at least" in message
    assert str(path) in message
    assert sha256(path) == before


@pytest.mark.parametrize("text", ["n/a", "N/A", "null", "NaN", "-"])
def test_typed_no_answer_text_is_reported_not_silently_dropped(tmp_path, codebook, text):
    path = edit_csv(tmp_path, {(2, "SA1"): text})
    err = rejected(path, codebook, "Non-numeric value", "column 'SA1'", "data row 2")
    assert err.value == text


def test_typed_text_in_an_xlsx_item_is_reported(tmp_path, codebook, messy_frame):
    frame = messy_frame.astype(object)
    frame.loc[5, "SA1"] = "n/a"
    path = tmp_path / "survey.xlsx"
    frame.to_excel(path, index=False, engine="openpyxl")
    err = rejected(path, codebook, "Non-numeric value", "column 'SA1'", "data row 6")
    assert err.value == "n/a"


def test_empty_cells_and_r_na_are_missing(tmp_path, codebook):
    path = edit_csv(tmp_path, {(2, "SA1"): "NA", (3, "SA1"): ""})
    survey = load_survey(path, codebook)
    assert survey.items["SA1"].isna().tolist()[:4] == [False, True, True, False]


def test_semicolon_delimited_csv_is_read(tmp_path, codebook, messy_frame):
    # European Excel exports use ';' between fields
    path = tmp_path / "survey.csv"
    path.write_text(MESSY_CSV.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    survey = load_survey(path, codebook)
    assert survey.frame["会员等级"].tolist() == messy_frame["会员等级"].tolist()
    pd.testing.assert_frame_equal(
        survey.items.reset_index(drop=True), expected_items(messy_frame), check_dtype=False
    )


# --------------------------------------------------------------------------- numeric inference
def test_fast_numeric_parsing_gives_the_general_rules_columns(monkeypatch):
    from workbench.intake import data

    def both_ways(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        fast = data._infer_numeric(frame)
        with monkeypatch.context() as m:  # the general rule alone: pandas.to_numeric
            m.setattr(data, "_plain_numbers", lambda s: None)
            general = data._infer_numeric(frame)
        return fast, general

    tricky = pd.DataFrame(
        {
            "spaces": [" 7", "8", None],
            "plus": ["+5", "1", "2"],
            "nan_text": ["nan", "1", "2"],
            "hex": ["0x10", "1", "2"],
            "decimal_ints": ["1.0", "2", "3"],
            "ints": ["1", "2", "3"],
            "ints_missing": ["1", None, "3"],
            "inf": ["inf", "1", "-2"],
            "huge": ["99999999999999999999", "1", "2"],
            "text": ["a", "1", "2"],
            "all_missing": [None, None, None],
            "exponent": ["1e3", "2", "3"],
            "zeros": ["-0", "00", "3"],
            "floats_missing": ["-1.5e-3", None, "2"],
            "fullwidth": ["３", "1", "2"],
            "underscore": ["1_000", "1", "2"],
        },
        dtype="str",
    )
    for plain in ("ints", "ints_missing", "decimal_ints", "floats_missing", "exponent", "inf"):
        assert data._plain_numbers(tricky[plain]) is not None, plain  # the fast path is taken
    fast, general = both_ways(tricky)
    pd.testing.assert_frame_equal(fast, general, check_exact=True)
    assert str(fast["ints"].dtype) == "Int64" and str(fast["floats_missing"].dtype) == "Float64"
    assert fast["text"].dtype == tricky["text"].dtype  # text stays text
    for name in ("loyalty_survey.csv", "bfi.csv", "loyalty_members.csv"):
        raw = pd.read_csv(DATA / name, dtype=str, keep_default_na=False, na_values=["", "NA"])
        pd.testing.assert_frame_equal(*both_ways(raw), check_exact=True)


# --------------------------------------------------------------- nothing dropped silently
def _refused(path: Path, match: str, **kwargs) -> InputError:
    before = sha256(path)
    with pytest.raises(InputError, match=match) as info:
        read_table(path, **kwargs)
    assert sha256(path) == before
    return info.value


def test_a_csv_column_name_given_twice_is_refused_naming_both_positions(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("id,TR1,TR2,TR1\n1,5,6,7\n", encoding="utf-8")
    err = _refused(path, r"'TR1' is given twice \(columns 2 and 4\)")
    assert err.column == "TR1" and err.file == str(path)


def test_an_xlsx_column_name_given_twice_is_refused(tmp_path):
    path = tmp_path / "dup.xlsx"
    pd.DataFrame([[1, 5, 7]], columns=["id", "TR1", "TR1 "]).to_excel(path, index=False)
    _refused(path, "'TR1' is given twice")


@pytest.mark.parametrize(
    ("text", "match", "row"),
    [
        ("a,b,c\n1,2,3\n4,5\n7,8,9\n", "2 field\\(s\\) but the header has 3 \\(a truncated", 2),
        ("a,b,c\n1,2,3\n4,5,6,7\n", "4 field\\(s\\).*unquoted separator", 2),
    ],
)
def test_a_ragged_csv_row_is_refused_naming_the_row(tmp_path, text, match, row):
    path = tmp_path / "ragged.csv"
    path.write_text(text, encoding="utf-8")
    assert _refused(path, match).row == row


def test_blank_lines_and_quoted_separators_are_not_ragged(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text('a,b,c\n1,"x, y",3\n\n4,5,6\n', encoding="utf-8")
    frame = read_table(path).frame
    assert frame.shape == (2, 3) and frame.loc[0, "b"] == "x, y"


def test_a_workbook_with_several_sheets_needs_the_sheet_named(tmp_path):
    path = tmp_path / "two.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["read me"]}).to_excel(writer, sheet_name="README", index=False)
        pd.DataFrame({"id": [1, 2], "TR1": [5, 6]}).to_excel(writer, sheet_name="data", index=False)
    err = _refused(path, "2 sheets \\('README', 'data'\\)")
    assert "--param sheet=NAME" in err.hint
    frame = read_table(path, sheet="data").frame
    assert frame["TR1"].tolist() == [5, 6]
    _refused(path, "no sheet 'Data'", sheet="Data")


def test_a_named_pipe_is_refused_instead_of_read_forever(tmp_path):
    import os

    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_table(fifo)


def test_parquet_column_names_that_are_numbers_become_text(tmp_path):
    path = tmp_path / "ints.parquet"
    pd.DataFrame({1: [1.0, 2.0], 2: [3.0, 4.0]}).to_parquet(path)
    assert list(read_table(path).frame.columns) == ["1", "2"]


def test_spss_user_missing_values_are_missing_and_said_so(tmp_path, codebook, messy_frame):
    import pyreadstat

    frame = messy_frame.copy()
    frame.loc[0, "TR1"] = 8  # declared user-missing below (a code inside no scale)
    path = tmp_path / "declared.sav"
    pyreadstat.write_sav(frame, path, missing_ranges={"TR1": [8], "SA1": [{"lo": 90, "hi": 99}]})
    before = sha256(path)
    table = read_table(path)
    assert np.isnan(table.frame.loc[0, "TR1"])
    n_sa1 = int(frame["SA1"].between(90, 99).sum())
    assert len(table.warnings) == 1
    assert "user-missing" in table.warnings[0] and "TR1 (1)" in table.warnings[0]
    if n_sa1:
        assert f"SA1 ({n_sa1})" in table.warnings[0]
    survey = load_survey(path, codebook)
    assert table.warnings[0] in survey.warnings  # the report shows survey warnings
    assert sha256(path) == before


def test_an_xlsx_formula_saved_without_its_value_is_refused_naming_the_cell(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "TR1", "TR2"])
    sheet.append([1, 3, 4])
    sheet.append([2, 5, "=B3-1"])  # openpyxl stores no computed value
    sheet.append([3, None, 2])  # a real empty answer elsewhere
    path = tmp_path / "formula.xlsx"
    book.save(path)
    before = sha256(path)
    err = _refused(path, "formula saved without its value \\(the first is C3\\)")
    assert err.column == "TR2" and err.row == 2
    assert "save it" in err.hint
    assert sha256(path) == before


def test_zero_padded_codes_stay_text_and_items_still_read_as_numbers(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("member_id,TR1,zip\n007,05,02134\n010,4,10001\n", encoding="utf-8")
    frame = read_table(path).frame
    assert frame["member_id"].tolist() == ["007", "010"]
    assert frame["zip"].tolist() == ["02134", "10001"]
    cb = Codebook.from_dict(
        {"id": "member_id", "scale": {"min": 1, "max": 7}, "constructs": {"t": ["TR1"]}}
    )
    survey = load_survey(path, cb)
    assert survey.frame["TR1"].tolist() == [5.0, 4.0]
    assert survey.frame["member_id"].tolist() == ["007", "010"]


def test_a_sheet_whose_first_row_is_a_title_is_refused_as_headerless(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Member survey 2026"] + [None] * 5)
    sheet.merge_cells("A1:F1")
    sheet.append(["respondent_id", "TR1", "TR2", "TR3", "SA1", "SA2"])
    sheet.append([1, 5, 6, 7, 4, 5])
    path = tmp_path / "titled.xlsx"
    book.save(path)
    err = _refused(path, "first row of the sheet does not look like a header: 5 of its 6")
    assert "title rows" in err.hint


def test_a_parquet_column_name_given_twice_is_refused_in_one_line(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "dup.parquet"
    table = pa.table([pa.array([1.0, 2.0]), pa.array([3.0, 4.0])], names=["TR1", "TR1"])
    pq.write_table(table, path)
    err = _refused(path, "'TR1' is given twice \\(columns 1 and 2\\)")
    assert "ArrowInvalid" not in err.message


def test_a_sheet_named_for_a_csv_file_is_refused(tmp_path, codebook):
    path = tmp_path / "s.csv"
    path.write_text("id,TR1\n1,5\n", encoding="utf-8")
    err = _refused(path, "not a workbook", sheet="Sheet9")
    assert "Leave out --param sheet" in err.hint


@pytest.mark.parametrize("address", ["https://example.org/survey.csv", "s3://bucket/x.csv"])
def test_a_web_address_as_data_is_refused_in_one_line(address):
    with pytest.raises(InputError, match="web address"):
        read_table(address)


def test_a_symbolic_link_loop_is_named_as_such(tmp_path):
    import os

    loop = tmp_path / "loop.csv"
    os.symlink(loop, loop)
    with pytest.raises(InputError, match="symbolic link that leads nowhere"):
        read_table(loop)


def test_a_header_without_rows_and_decimal_commas_are_named(tmp_path, codebook, messy_frame):
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(messy_frame.columns) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="header but no data rows"):
        load_survey(empty, codebook)
    comma = tmp_path / "comma.csv"
    comma.write_text("id;TR1;TR2\n1;3,5;4\n2;4,5;5\n", encoding="utf-8")
    cb = Codebook.from_dict({"scale": {"min": 1, "max": 7}, "constructs": {"t": ["TR1", "TR2"]}})
    with pytest.raises(InputError) as info:
        load_survey(comma, cb)
    assert "decimal comma" in info.value.hint
