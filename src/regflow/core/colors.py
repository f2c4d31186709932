"""Colour contrast (WCAG 2): a brand colour must stay readable on the hosted pages.

The colour is used for white text on it (buttons) and as text on the pages'
light backgrounds (links), so both need AA, 4.5:1.
"""

from __future__ import annotations

import re

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
LIGHT_BACKGROUNDS = ("#ffffff", "#f4f5f7", "#eef2ff")  # card, page, soft panels
AA = 4.5


def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def check_color(color: str) -> str:
    """``color`` lower-cased, or ValueError naming the contrast it lacks."""
    if not HEX.fullmatch(color):
        raise ValueError("the brand colour must be #rrggbb, for example #1d4ed8")
    color = color.lower()
    worst = min(contrast(color, bg) for bg in LIGHT_BACKGROUNDS)
    if worst < AA:
        raise ValueError(
            f"the brand colour {color} reaches {worst:.2f}:1 against white text and the light "
            f"backgrounds; it needs {AA}:1 (WCAG AA): choose a darker colour"
        )
    return color
