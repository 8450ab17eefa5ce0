"""The page-quality percentiles from a histogram are numpy's, bit for bit (ocr.quality.percentiles_u8):
the faster path must not move a blank, contrast or blur verdict."""

from __future__ import annotations

import numpy as np
import pytest

from ocr.quality import percentiles_u8

QS = (0, 0.5, 1, 37.3, 50, 99, 100)


@pytest.mark.parametrize("seed", range(40))
def test_equal_to_numpy_on_random_and_banded_pixels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(1, 300)), int(rng.integers(1, 300)))
    pixels = rng.integers(0, 256, size=shape).astype(np.uint8)
    if seed % 2:
        pixels = (pixels // 60 * 60).astype(np.uint8)  # few distinct values: interpolation between equal ranks
    pixels = pixels[:, ::2] if seed % 3 == 0 and shape[1] > 1 else pixels  # a non-contiguous view, as assess() has
    assert percentiles_u8(pixels, QS) == tuple(float(v) for v in np.percentile(pixels, QS))


def test_a_page_of_paper_and_a_little_ink() -> None:
    page = np.full((2200, 1700), 235, np.uint8)
    page[400:420, 200:1500] = 30
    assert percentiles_u8(page, (1, 99, 50, 0.5)) == tuple(float(v) for v in np.percentile(page, (1, 99, 50, 0.5)))


def test_other_types_fall_back_to_numpy() -> None:
    values = np.linspace(0, 1, 101)
    assert percentiles_u8(values, (50,)) == (0.5,)
