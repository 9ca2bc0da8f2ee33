"""nasbench.checks: the one place that tells an int from a bool and words the error."""

import numpy as np
import pytest

from nasbench.checks import check_bool, check_choice, check_int, check_number, is_int, is_number, range_text
from nasbench.errors import InvalidArchError, NasbenchError, UnknownNameError


def test_predicates_refuse_bools_and_accept_numpy():
    assert is_int(3) and is_int(np.int64(3)) and is_int(np.uint8(0))
    assert not any(is_int(v) for v in (True, np.bool_(False), 1.0, "1", None))
    assert is_number(1.5) and is_number(np.float32(2)) and is_number(7) and is_number(float("nan"))
    assert not any(is_number(v) for v in (False, np.bool_(True), "1.5", None, 1j))


def test_check_int_returns_python_int_and_names_range_and_hint():
    assert check_int("n", np.int64(4), 1) == 4 and type(check_int("n", np.int64(4), 1)) is int
    with pytest.raises(NasbenchError, match=r"^n_workers must be an int >= 1; got True\. Pass n_workers=4\.$"):
        check_int("n_workers", True, 1, hint="Pass n_workers=4.")
    with pytest.raises(InvalidArchError, match=r"index must be an int in \[0, 9\]; got 10\.$"):
        check_int("index", 10, 0, 9, error=InvalidArchError)
    with pytest.raises(NasbenchError, match=r"k must be an int <= 2; got 2\.5\."):
        check_int("k", 2.5, high=2)
    with pytest.raises(NasbenchError, match=r"k must be an int; got '3'\."):
        check_int("k", "3")


def test_check_number_bounds_open_and_finite():
    assert check_number("p", 1, 0, 1) == 1.0
    assert check_number("x", float("inf"), finite=False) == float("inf")
    with pytest.raises(NasbenchError, match=r"p must be a finite number in \[0, 1\); got 1\.0\."):
        check_number("p", 1.0, 0, 1, high_open=True)
    with pytest.raises(NasbenchError, match=r"t must be a finite number > 0; got 0\."):
        check_number("t", 0, 0, low_open=True)
    with pytest.raises(NasbenchError, match=r"t must be a number >= 0; got nan\."):
        check_number("t", float("nan"), 0, finite=False)
    with pytest.raises(NasbenchError, match=r"t must be a finite number; got inf\."):
        check_number("t", float("inf"))
    with pytest.raises(NasbenchError, match=r"t must be a finite number; got False\."):
        check_number("t", False)


def test_check_bool_and_choice():
    assert check_bool("flag", np.bool_(True)) is True
    with pytest.raises(NasbenchError, match=r"flag must be true or false; got 1\."):
        check_bool("flag", 1)
    assert check_choice("mode", "a", ("a", "b")) == "a"
    with pytest.raises(UnknownNameError, match=r"mode must be one of 'a', 'b'; got 'c'\. Use --mode a\."):
        check_choice("mode", "c", ("a", "b"), hint="Use --mode a.")
    with pytest.raises(UnknownNameError, match=r"got \[1\]"):
        check_choice("mode", [1], frozenset({"a"}))


def test_range_text():
    assert range_text() == "" and range_text(1) == ">= 1" and range_text(high=3, high_open=True) == "< 3"
    assert range_text(0, 1, low_open=True) == "in (0, 1]"
