"""The development real pages re-scanned in simulation (ocr.bench_rescan, `bench_fields --augment`)."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocr.bench_fields import main as bench_fields_main
from ocr.bench_rescan import RESCANS, effective_dpi, rescan_pages
from ocr.pages import PageImage, load_pages


def _page_file(tmp_path, dpi=200):
    """A one-page PNG of an A4 sheet at `dpi` with a few black bars for text."""
    w, h = round(8.27 * dpi), round(11.69 * dpi)
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    for i in range(10):
        d.rectangle((w // 8, h // 10 + i * h // 15, w * 7 // 8, h // 10 + i * h // 15 + dpi // 10), fill="black")
    path = tmp_path / "page.png"
    im.save(path, dpi=(dpi, dpi))
    return path


@pytest.mark.parametrize("name", sorted(RESCANS))
def test_each_recipe_is_deterministic_and_lowers_the_resolution_as_named(tmp_path, name):
    path = _page_file(tmp_path)
    first, again = rescan_pages(path, name), rescan_pages(path, name)
    assert len(first) == 1 and first[0].number == 1
    assert np.array_equal(np.asarray(first[0].image), np.asarray(again[0].image))
    recipe = RESCANS[name]
    assert first[0].dpi_from_file is recipe.tagged
    # The sheet's width in pixels follows the recipe's resolution (a phone photo adds the table around it).
    expected = round(8.27 * min(recipe.dpi, 200))
    if recipe.kind == "phone":
        assert expected < first[0].image.width < expected * 1.4
        assert first[0].dpi == 300  # untagged: the loader's default, the reader must measure it
    else:
        assert abs(first[0].image.width - expected) <= 2
        assert first[0].dpi == (recipe.dpi if recipe.tagged else 300)
    # The damage changed the page: not the clean bars merely resized.
    clean = np.asarray(load_pages(path)[0].image.convert("L").resize(first[0].image.size))
    assert np.abs(np.asarray(first[0].image.convert("L")).astype(int) - clean).mean() > 1


def test_another_seed_gives_another_image_and_the_photocopy_is_grey_and_darker(tmp_path):
    path = _page_file(tmp_path)
    a = np.asarray(rescan_pages(path, "dpi150")[0].image)
    b = np.asarray(rescan_pages(path, "dpi150", seed=1)[0].image)
    assert a.shape == b.shape and not np.array_equal(a, b)
    copy = np.asarray(rescan_pages(path, "photocopy")[0].image).astype(int)
    assert np.array_equal(copy[..., 0], copy[..., 1]) and np.array_equal(copy[..., 1], copy[..., 2])
    assert np.median(copy) < 225  # the paper is no longer white


def test_a_page_never_upscaled_and_an_untagged_photo_taken_as_a4():
    small = Image.new("RGB", (960, 1280), "white")
    untagged = load_pages(_png(small))[0]
    assert not untagged.dpi_from_file
    assert effective_dpi(untagged) == round(960 / 8.27)
    assert effective_dpi(PageImage(small, 87, 1, True)) == 87


def _png(im):
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def test_augment_refuses_the_held_out_split_and_unknown_recipes(capsys):
    with pytest.raises(SystemExit):
        bench_fields_main(["--split", "held-out", "--augment", "dpi150"])
    with pytest.raises(SystemExit):
        bench_fields_main(["--split", "dev", "--augment", "no-such-recipe"])
