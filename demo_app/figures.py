"""Pictures the demo draws from model outputs (charts are in :mod:`demo_app.charts`)."""

import numpy as np
from PIL import Image, ImageDraw


def attention_overlay(picture, weights, *, size=160):
    """A picture with one attention map over it: the picture greyed, the attended cells red.

    Args:
        picture: the model input ``(h, w, channels)`` in [0, 1].
        weights: the attention map over the feature grid ``(grid_h, grid_w)``.
        size: the side of the result in pixels.
    """
    picture = np.asarray(picture, dtype=np.float32)
    gray = picture.mean(axis=-1) if picture.ndim == 3 else picture
    base = Image.fromarray(np.uint8(np.clip(gray, 0, 1) * 255)).convert("RGB").resize(
        (size, size), Image.Resampling.NEAREST)
    weights = np.asarray(weights, dtype=np.float32)
    peak = float(weights.max()) or 1.0
    heat = Image.fromarray(np.uint8(255 * np.clip(weights / peak, 0, 1))).resize(
        (size, size), Image.Resampling.BILINEAR)
    red = Image.merge("RGB", (Image.new("L", (size, size), 255), Image.new("L", (size, size), 0),
                              Image.new("L", (size, size), 0)))
    mask = heat.point(lambda v: int(v * 0.7))
    return Image.composite(red, base, mask)


def enlarge(array, size=160):
    """A model input ``(h, w[, c])`` in [0, 1] as a PIL image of ``size`` pixels (nearest)."""
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    image = Image.fromarray(np.uint8(np.clip(array, 0, 1) * 255))
    scale = size / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                        Image.Resampling.NEAREST)


def page_icon(size=64):
    """The demo's favicon, a paw print drawn here: a Material or emoji icon would be fetched from
    a font server on every page, and the demo asks no host but its own for anything."""
    icon = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(icon)
    ink = (38, 97, 156, 255)
    s = size / 64
    draw.ellipse([16 * s, 30 * s, 48 * s, 58 * s], fill=ink)  # the pad
    for x, y in ((6, 18), (20, 6), (36, 6), (50, 18)):  # four toes
        draw.ellipse([x * s, y * s, (x + 11) * s, (y + 14) * s], fill=ink)
    return icon
