#!/usr/bin/env python3
"""Draw the app icons (the PNGs the web app manifest names) from the favicon's design.

Two white rings, overlapping, on the brand blue: the same drawing as
alliance/static/alliance/favicon.svg. Pillow comes with WeasyPrint. Run from the repository
root after changing the design, and commit the PNGs:

    python bin/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (47, 93, 124, 255)  # #2f5d7c
WHITE = (255, 255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "alliance" / "static" / "alliance" / "icons"
SUPERSAMPLE = 4  # drawn larger, then scaled down, for smooth edges


def draw(size: int, *, rounded: bool, content: float) -> Image.Image:
    """The icon at ``size`` px. ``content`` is the share of the width the rings may use (a
    maskable icon keeps them inside the middle 80 %, the part every mask shows); ``rounded``
    gives the square round corners (transparent outside), as the favicon has."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0) if rounded else BLUE)
    pen = ImageDraw.Draw(image)
    if rounded:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 7 // 32, fill=BLUE)
    # In the favicon's 32-unit square: rings of radius 7 at x = 12 and 20, stroke 3, across
    # the 22 units from x = 5 to x = 27 (plus half the stroke).
    unit = big * content / 23.5
    middle = big / 2
    for centre in (-4, 4):
        cx = middle + centre * unit
        r = 7 * unit
        pen.ellipse(
            (
                cx - r - 1.5 * unit,
                middle - r - 1.5 * unit,
                cx + r + 1.5 * unit,
                middle + r + 1.5 * unit,
            ),
            fill=None,
            outline=WHITE,
            width=round(3 * unit),
        )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def save(image: Image.Image, name: str, *, opaque: bool = False) -> None:
    path = OUT / name
    if opaque:
        image = image.convert("RGB")
    # A few colours only: a palette PNG is a fraction of the size, and looks the same.
    image.quantize(colors=32, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)
    print(f"{path.relative_to(OUT.parent.parent.parent.parent)}: {path.stat().st_size} bytes")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    save(draw(192, rounded=True, content=23.5 / 32), "icon-192.png")
    save(draw(512, rounded=True, content=23.5 / 32), "icon-512.png")
    # Full bleed, the rings well inside the safe zone (a circle of 80 % of the width).
    save(draw(512, rounded=False, content=0.62), "maskable-512.png", opaque=True)
    # iOS adds its own rounded corners and shows transparency as black: full bleed, opaque.
    save(draw(180, rounded=False, content=23.5 / 32), "apple-touch-icon.png", opaque=True)


if __name__ == "__main__":
    main()
