"""Stamp ink off the page (ocr.stamp_ink): a red seal over black print goes, the print stays, blue
hand-writing stays. Synthetic pages at 300 dpi, the seal multiplied onto the page as ink is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr.stamp_ink import _ink_weight, find_stamps, ring_gap, suppress_stamp_ink

DPI = 300
SEAL_RED = (214, 38, 48)
BLUE_PEN = (40, 70, 190)


def _page() -> np.ndarray:
    """An A5-ish white page with three lines of black print ("CHU TICH", a name) and a blue
    hand-written number."""
    page = np.full((1200, 1400, 3), 255, np.uint8)
    for y, text in ((300, "CHU TICH"), (560, "Le Trung Chinh"), (820, "PHO CHU TICH")):
        cv2.putText(page, text, (420, y), cv2.FONT_HERSHEY_SIMPLEX, 2.2, (0, 0, 0), 6, cv2.LINE_AA)
    return page


def _text_mask(page: np.ndarray) -> np.ndarray:
    return page.max(axis=2) < 80


def _with_seal(page: np.ndarray, colour: tuple[int, int, int] = SEAL_RED) -> tuple[np.ndarray, np.ndarray]:
    """The page with a round seal (two rings, a star) stamped over the first two lines, and the
    seal's mask. Multiplied, as stamp ink on paper: print under the seal stays dark."""
    seal = np.zeros(page.shape[:2], np.uint8)
    centre = (560, 420)
    cv2.circle(seal, centre, 230, 255, 14, cv2.LINE_AA)
    cv2.circle(seal, centre, 180, 255, 6, cv2.LINE_AA)
    star = np.array([[560, 330], [585, 400], [660, 400], [600, 445], [620, 515], [560, 470], [500, 515],
                     [520, 445], [460, 400], [535, 400]], np.int32)
    cv2.fillPoly(seal, [star], 255, cv2.LINE_AA)
    alpha = seal.astype(np.float32)[..., None] / 255
    filt = (1 - alpha) + alpha * (np.array(colour, np.float32) / 255)
    return np.clip(page.astype(np.float32) * filt, 0, 255).astype(np.uint8), seal > 128


def _with_pen(page: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A blue hand-written "27" beside the name line (strokes on top of the paper), and its mask."""
    pen = np.zeros(page.shape[:2], np.uint8)
    cv2.putText(pen, "27", (1120, 1000), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 3.5, 255, 7, cv2.LINE_AA)
    out = page.copy()
    out[pen > 128] = BLUE_PEN
    return out, pen > 128


def test_the_seal_goes_and_the_print_under_it_stays() -> None:
    clean = _page()
    text = _text_mask(clean)
    sealed, seal = _with_seal(clean)
    out, info = suppress_stamp_ink(sealed, DPI)
    assert len(info.boxes) == 1
    bright_in, bright_out = sealed.max(axis=2), out.max(axis=2)
    bare_seal = seal & ~cv2.dilate(text.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    # Before: the seal's strokes are grey even in the brightest channel (what Tesseract read).
    assert np.percentile(bright_in[bare_seal], 50) < 230
    # After: paper white, all but a sliver of stroke edges.
    assert np.percentile(out[bare_seal].min(axis=1), 95) >= 235
    # The print, under the seal too, is as dark as it was.
    under = text & seal
    assert under.sum() > 200
    assert np.percentile(bright_out[text], 95) < 100
    assert np.percentile(bright_out[under], 95) < 100


def test_blue_hand_writing_is_left_as_it_was() -> None:
    sealed, _ = _with_seal(_page())
    page, pen = _with_pen(sealed)
    out, info = suppress_stamp_ink(page, DPI)
    assert info.boxes  # the seal was taken off ...
    assert np.array_equal(out[pen], page[pen])  # ... and the blue number not touched
    # A blue stamp-sized scribble is no stamp either.
    blue_only, pen = _with_pen(_page())
    assert find_stamps(blue_only, DPI) == []
    assert suppress_stamp_ink(blue_only, DPI)[0] is blue_only


def test_a_magenta_seal_goes_too() -> None:
    sealed, seal = _with_seal(_page(), colour=(190, 40, 170))
    out, info = suppress_stamp_ink(sealed, DPI)
    assert info.boxes
    assert np.percentile(out[seal].min(axis=1), 60) >= 235


def test_a_page_without_stamp_ink_is_returned_as_it_is() -> None:
    page = _page()
    out, info = suppress_stamp_ink(page, DPI)
    assert out is page and info.boxes == ()


def test_a_line_of_red_print_is_no_stamp() -> None:
    """A red printed title (one line, ~0.2 in tall) is print, not a stamp: it stays."""
    page = _page()
    cv2.putText(page, "GIAY CHUNG NHAN", (200, 1100), cv2.FONT_HERSHEY_SIMPLEX, 1.6, SEAL_RED, 5, cv2.LINE_AA)
    out, info = suppress_stamp_ink(page, DPI)
    assert info.boxes == () and out is page


def test_on_grey_paper_the_seal_becomes_that_paper_not_white() -> None:
    """A phone photo's paper is grey: the seal lifted to white would leave white patches."""
    grey = (_page().astype(np.float32) * (170 / 255)).astype(np.uint8)
    sealed, seal = _with_seal(grey)
    out, info = suppress_stamp_ink(sealed, DPI)
    assert info.boxes
    text = _text_mask(grey)
    bare_seal = seal & ~cv2.dilate(text.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    bright = out[bare_seal].max(axis=1)
    assert np.percentile(bright, 5) >= 150 and bright.max() <= 171


def test_the_engine_reads_the_page_without_its_stamp_ink_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The option is wired: Tesseract's page (what `prepare` gets) has the seal taken off with
    `stamp_ink`, and is the page as it came without it."""
    import ocr.tesseract_engine as engine_module

    sealed, seal = _with_seal(_page())
    seen: list[np.ndarray] = []
    real_prepare = engine_module.prepare

    def prepare(image: np.ndarray, *args: object, **kwargs: object) -> object:
        seen.append(np.asarray(image))
        return real_prepare(image, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_module, "prepare", prepare)
    quick = {"columns": (), "key_lines": False, "signer_lines": False, "holder_lines": False,
             "recipient_list": False, "marks": False, "correct": False}
    engine_module.TesseractEngine(stamp_ink=True, **quick).recognise(sealed, dpi=DPI)  # type: ignore[arg-type]
    engine_module.TesseractEngine(stamp_ink=False, **quick).recognise(sealed, dpi=DPI)  # type: ignore[arg-type]
    text = cv2.dilate(_text_mask(_page()).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    bare_seal = seal & ~text
    assert np.percentile(seen[0][bare_seal].min(axis=1), 95) >= 235
    assert np.array_equal(seen[1], sealed)


def _ring(page: np.ndarray, centre: tuple[int, int], radius: int, width: int) -> np.ndarray:
    """The page with a red ring stamped on it, multiplied as ink."""
    seal = np.zeros(page.shape[:2], np.uint8)
    cv2.circle(seal, centre, radius, 255, width, cv2.LINE_AA)
    alpha = seal.astype(np.float32)[..., None] / 255
    filt = (1 - alpha) + alpha * (np.array(SEAL_RED, np.float32) / 255)
    return np.clip(page.astype(np.float32) * filt, 0, 255).astype(np.uint8)


def test_the_gap_rejoined_is_the_rings_own_width() -> None:
    """A letter cut by the ring is joined over the ring's measured width, not a fixed 0.08 in (24 px
    at 300 dpi) that joined an accent to its letter on a generated seal."""
    for width in (8, 14):
        sealed = _ring(np.full((900, 900, 3), 255, np.uint8), (450, 450), 300, width)
        gap = ring_gap(_ink_weight(sealed), DPI)
        assert width <= gap <= width + 4, (width, gap)
    # No ink to measure: the ceiling.
    assert ring_gap(np.zeros((50, 50), np.float32), DPI) == round(0.08 * DPI)


def test_an_accent_is_not_joined_to_its_letter_across_the_ring() -> None:
    """An acute 12 px above its O, the ring's opaque ink over the gap: the gap stays paper ("PHÓ",
    not "PHÔ"), though the ring (14 px) is wider than the gap."""
    page = np.full((1000, 1400, 3), 255, np.uint8)
    cv2.ellipse(page, (700, 296), (30, 40), 0, 0, 360, (0, 0, 0), 9, cv2.LINE_AA)  # O: top at ~252
    cv2.line(page, (704, 238), (713, 230), (0, 0, 0), 5, cv2.LINE_AA)  # acute: bottom at ~240
    opaque = np.zeros(page.shape[:2], np.uint8)
    cv2.circle(opaque, (700, 476), 230, 255, 14, cv2.LINE_AA)  # its top crosses x=700 at y 239-253
    sealed = _ring(page, (700, 476), 230, 14)
    sealed[opaque > 200] = SEAL_RED  # opaque over the print: what the rejoin is for
    out, info = suppress_stamp_ink(sealed, DPI)
    assert info.boxes
    between = out[242:250, 700:712].max(axis=2)
    assert between.min() > 200, between.min()
    # The accent and the O themselves are print still.
    assert out[232:236, 707:711].max(axis=2).max() < 100 and out[290:300, 669:674].max(axis=2).max() < 100


def test_a_signature_the_seal_covered_goes_with_it() -> None:
    """With the seal gone the signature stood alone and Tesseract read it as a line ("CAA^2~-«")
    between the title and the name: a pen stroke taller than two lines of text goes to paper, and
    so does a piece of it lifted off beside the box; the print stays."""
    clean = _page()
    sealed, seal = _with_seal(clean)
    pen = np.zeros(sealed.shape[:2], np.uint8)
    wave = np.array([[420 + 14 * i, 470 + int(90 * np.sin(i / 3.0))] for i in range(40)], np.int32)
    cv2.polylines(pen, [wave], False, 255, 6, cv2.LINE_AA)
    cv2.line(pen, (1030, 480), (1060, 450), 255, 6, cv2.LINE_AA)  # lifted pen: a separate flick
    signed = sealed.copy()
    signed[pen > 128] = (30, 40, 120)  # dark blue ink on top
    out, _ = suppress_stamp_ink(signed, DPI)
    assert np.percentile(out[pen > 128].min(axis=1), 5) >= 200
    # (Where the pen crosses print, the print goes within about half the ring's width of it.)
    text = _text_mask(clean) & ~cv2.dilate(pen, np.ones((25, 25), np.uint8)).astype(bool)
    assert np.percentile(out.max(axis=2)[text], 95) < 100
    # Without a seal nothing is touched: a signature alone was never the problem.
    alone = clean.copy()
    alone[pen > 128] = (30, 40, 120)
    assert suppress_stamp_ink(alone, DPI)[0] is alone
