"""The brand colour's contrast check (WCAG 2 ratios)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from regflow.core.colors import check_color, contrast
from regflow.settings import Settings


def test_contrast_ratios_are_wcag_ones() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#1d4ed8", "#ffffff") == pytest.approx(6.7, abs=0.05)


def test_a_readable_colour_is_kept_lower_case() -> None:
    assert check_color("#0F5132") == "#0f5132"


@pytest.mark.parametrize("color", ["#ffcc00", "#60a5fa", "#888888"])
def test_a_pale_colour_is_refused_with_its_ratio(color: str) -> None:
    with pytest.raises(ValueError, match=r"needs 4.5:1"):
        check_color(color)


@pytest.mark.parametrize("color", ["blue", "#12345", "#1234567", "1d4ed8"])
def test_only_hex_colours(color: str) -> None:
    with pytest.raises(ValueError, match="#rrggbb"):
        check_color(color)


def test_settings_refuse_an_illegible_brand() -> None:
    with pytest.raises(ValidationError, match="brand colour"):
        Settings(brand_color="#ffff00")
    assert Settings(brand_color="#0F5132").brand_color == "#0f5132"
