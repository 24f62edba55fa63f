"""The PLS model syntax and the errors a researcher gets for a bad model or bad data.

Every input problem is an :class:`~workbench.errors.InputError` (exit status 2 on the command
line) whose message names the construct or item and says what to do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InputError
from workbench.pls import PLSModel, estimate_pls, prepare_data, specify_model


def error_of(model, paths=None, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        specify_model(model, paths, **kwargs)
    return info.value


@pytest.fixture
def small() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    f = rng.standard_normal(60)
    cols = {name: f + rng.standard_normal(60) for name in ("a1", "a2", "b1", "b2", "y1", "y2")}
    return pd.DataFrame(cols)


# ----------------------------------------------------------------------------- parsing
def test_lavaan_syntax_gives_constructs_modes_items_and_ordered_paths():
    model = specify_model(
        """
        # measurement
        Image =~ IMAG1 + IMAG2      # reflective
        Quality <~ PERQ1 + PERQ2 ; Loyalty =~ CUSL1
        Satisfaction =~ CUSA1 + CUSA2
        Satisfaction ~ Image + Quality
        Loyalty ~ Satisfaction + Image
        """
    )
    assert model.constructs == ("Image", "Quality", "Loyalty", "Satisfaction")
    assert model.items["Quality"] == ("PERQ1", "PERQ2")
    assert model.measurement == {
        "Image": "reflective",
        "Quality": "composite",
        "Loyalty": "reflective",
        "Satisfaction": "reflective",
    }
    assert model.modes["Quality"] == "B" and model.modes["Image"] == "A"
    assert model.paths == (
        ("Image", "Satisfaction"),
        ("Quality", "Satisfaction"),
        ("Satisfaction", "Loyalty"),
        ("Image", "Loyalty"),
    )
    assert model.exogenous == ("Image", "Quality")
    assert model.endogenous == ("Loyalty", "Satisfaction")
    assert model.predecessors("Loyalty") == ("Satisfaction", "Image")


def test_the_dict_form_is_the_same_model_as_the_syntax():
    syntax = specify_model("A =~ a1 + a2; B <~ b1 + b2; Y =~ y1; Y ~ A + B")
    as_dict = specify_model(
        {"A": ["a1", "a2"], "B": ["b1", "b2"], "Y": "y1"},
        [("A", "Y"), ("B", "Y")],
        formative=["B"],
    )
    assert (as_dict.items, as_dict.measurement, as_dict.paths) == (
        syntax.items,
        syntax.measurement,
        syntax.paths,
    )
    assert specify_model(as_dict.syntax).paths == syntax.paths  # the written syntax round-trips
    assert specify_model(as_dict) is as_dict


def test_several_outcomes_on_one_line_and_repeated_statements_are_merged():
    model = specify_model("A =~ a1; A =~ a2; B =~ b1; C =~ c1; B + C ~ A; C ~ A")
    assert model.items["A"] == ("a1", "a2")
    assert model.paths == (("A", "B"), ("A", "C"))


def test_a_model_is_a_frozen_value():
    model = specify_model("A =~ a1; Y =~ y1; Y ~ A")
    assert isinstance(model, PLSModel)
    with pytest.raises(AttributeError):
        model.paths = ()  # type: ignore[misc]


# ----------------------------------------------------------------------------- model errors
def test_a_construct_with_no_items_is_refused_naming_it():
    err = error_of("A =~ ; Y =~ y1; Y ~ A")
    assert "Construct 'A' has no items" in str(err) and "What to do" in str(err)
    err = error_of({"A": [], "Y": ["y1"]}, [("A", "Y")])
    assert "Construct 'A' has no items" in str(err)


def test_an_item_in_two_constructs_is_refused_naming_the_item_and_both_constructs():
    err = error_of("A =~ x1 + x2; B =~ x2 + x3; B ~ A")
    assert "Item 'x2' is in two constructs ('A' and 'B')" in str(err)
    assert err.column == "x2"


def test_a_formative_construct_with_one_item_is_refused_naming_it():
    err = error_of("A <~ x1; Y =~ y1; Y ~ A")
    assert "Formative construct 'A' has only one item ('x1')" in str(err)
    assert "A =~ x1" in str(err)  # the fix is suggested


def test_a_cycle_in_the_structural_model_is_refused_naming_its_constructs():
    err = error_of("A =~ a1; B =~ b1; C =~ c1; B ~ A; C ~ B; A ~ C")
    assert "cycle: A -> B -> C -> A" in str(err)
    assert "cycle: A -> A" in str(error_of("A =~ a1; B =~ b1; B ~ A; A ~ A"))


def test_a_path_naming_an_unknown_construct_is_refused_with_the_closest_names():
    err = error_of("Image =~ i1 + i2; Loyalty =~ l1; Loyalty ~ Imgae")
    assert "names construct 'Imgae', which has no items" in str(err)
    assert "Did you mean 'Image'?" in str(err)
    err = error_of("Image =~ i1 + i2; Loyalty =~ l1; Loyalty ~ i1")
    assert "('i1' is an item of 'Image')" in str(err)


def test_a_construct_with_no_paths_is_refused_naming_it():
    err = error_of("A =~ a1; B =~ b1; Y =~ y1; Y ~ A")
    assert "Construct 'B' has no structural path" in str(err)
    assert "The model has no structural paths" in str(error_of("A =~ a1 + a2"))


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("A =~ a1; Y =~ y1; Y ~ A; a1 ~~ y1", "covariances ('~~')"),
        ("A =~ 0.7*a1 + a2; Y =~ y1; Y ~ A", "labels, fixed values and interaction terms"),
        ("A =~ a1; A <~ a2 + a3; Y =~ y1; Y ~ A", "both as reflective ('=~') and as a formative"),
        ("A =~ a1 + ; Y =~ y1; Y ~ A", "empty term"),
        ("A is measured by a1", "not a model statement"),
        ("", "The model is empty"),
        ("A =~ B; B =~ b1; B ~ A", "higher-order constructs are not supported"),
        ("A =~ a1 + a1; Y =~ y1; Y ~ A", "Item 'a1' is listed twice"),
    ],
)
def test_other_syntax_problems_say_what_is_wrong(model, message):
    assert message in str(error_of(model))


def test_the_dict_form_needs_paths_and_known_formative_names():
    assert "without structural paths" in str(error_of({"A": ["a1"]}))
    err = error_of({"A": ["a1", "a2"], "Y": ["y1"]}, [("A", "Y")], formative=["Z"])
    assert "formative= names 'Z'" in str(err)


# ----------------------------------------------------------------------------- data errors
def test_an_item_not_in_the_data_is_refused_naming_item_construct_and_close_columns(small):
    with pytest.raises(InputError) as info:
        estimate_pls(small, "A =~ a1 + a_2; Y =~ y1 + y2; Y ~ A")
    err = info.value
    assert "Item 'a_2' of construct 'A' is not a column of the data" in str(err)
    assert "Did you mean 'a2'" in str(err) and err.column == "a_2"


def test_a_text_item_column_is_refused_at_its_first_non_number(small):
    small = small.astype({"a2": "object"})
    small.loc[3, "a2"] = "agree"
    with pytest.raises(InputError) as info:
        estimate_pls(small, "A =~ a1 + a2; Y =~ y1 + y2; Y ~ A")
    err = info.value
    assert "Item 'a2' of construct 'A' is not numeric" in str(err)
    assert (err.column, err.row, err.value) == ("a2", 4, "agree")


def test_numbers_written_as_text_are_read(small):
    as_text = small.astype({"a1": "string"})
    a = estimate_pls(as_text, "A =~ a1 + a2; Y =~ y1 + y2; Y ~ A")
    b = estimate_pls(small, "A =~ a1 + a2; Y =~ y1 + y2; Y ~ A")
    pd.testing.assert_frame_equal(a.paths, b.paths, rtol=1e-12)


def test_a_true_false_item_is_refused(small):
    small["flag"] = small["a1"] > 0
    with pytest.raises(InputError, match="Item 'flag' of construct 'A' holds true/false"):
        estimate_pls(small, "A =~ a1 + flag; Y =~ y1 + y2; Y ~ A")


def test_a_constant_item_is_refused_naming_it(small):
    small["y2"] = 4.0
    with pytest.raises(InputError) as info:
        estimate_pls(small, "A =~ a1 + a2; Y =~ y1 + y2; Y ~ A")
    assert "Item 'y2' of construct 'Y' has the same value (4)" in str(info.value)
    assert "Remove the item" in str(info.value)


def test_an_item_that_is_constant_only_after_listwise_deletion_is_refused(small):
    small["y2"] = 4.0
    small.loc[0, "y2"] = 5.0
    small.loc[0, "a1"] = np.nan
    model = specify_model("A =~ a1 + a2; Y =~ y1 + y2; Y ~ A")
    assert prepare_data(small, model).n == 60  # mean replacement keeps the varying row
    with pytest.raises(InputError, match="Item 'y2'"):
        prepare_data(small, model, missing="listwise")


def test_an_item_with_no_answers_is_refused(small):
    small["y2"] = -99
    with pytest.raises(InputError, match="Item 'y2' of construct 'Y' has no answers"):
        estimate_pls(small, "A =~ a1 + a2; Y =~ y1 + y2; Y ~ A", missing_codes=[-99])


def test_collinear_formative_items_are_an_input_error(small):
    small["b2"] = small["b1"] * 2 + 1
    with pytest.raises(InputError) as info:
        estimate_pls(small, "B <~ b1 + b2; Y =~ y1 + y2; Y ~ B")
    assert "formative construct 'B' are perfectly collinear (b1 and b2" in str(info.value)


@pytest.mark.parametrize(
    ("option", "value", "valid"),
    [
        ("estimator", "ml", "['pls', 'plsc']"),
        ("inner_weighting", "path_weighting", "['path', 'factor', 'centroid']"),
        ("missing", "pairwise", "['mean', 'listwise']"),
    ],
)
def test_a_bad_option_is_a_value_error_naming_the_valid_values(small, option, value, valid):
    with pytest.raises(ValueError, match=rf"{option}='{value}' is not valid.*{valid}"):
        estimate_pls(small, "A =~ a1 + a2; Y =~ y1 + y2; Y ~ A", **{option: value})


def test_bad_stopping_settings_are_value_errors(small):
    with pytest.raises(ValueError, match="max_iter=0"):
        estimate_pls(small, "A =~ a1 + a2; Y =~ y1 + y2; Y ~ A", max_iter=0)
    with pytest.raises(ValueError, match="tol=-1"):
        estimate_pls(small, "A =~ a1 + a2; Y =~ y1 + y2; Y ~ A", tol=-1)
