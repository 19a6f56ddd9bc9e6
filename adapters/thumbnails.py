"""Thumbnails of image attachments with Pillow: PNG, at most 320 px, made on first request.

Kept in memory per SHA-256 (bounded): the same bytes always make the same thumbnail, so the
cache never goes stale, and a restart only costs one regeneration. A decompression bomb (a
small file that decodes to billions of pixels) is refused: `Image.MAX_IMAGE_PIXELS` is lowered
and Pillow's warning past it is an error here, so it never decodes.
"""

from __future__ import annotations

import io
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterable

from PIL import Image

MAX_SIDE = 320
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; more is refused before decoding
CACHED = 256
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
_cache: OrderedDict[str, bytes] = OrderedDict()
_lock = threading.Lock()


class NotAnImage(ValueError):
    """The bytes cannot be made into a thumbnail (not decodable, or too many pixels)."""


def thumbnail(sha256: str, chunks: Iterable[bytes]) -> bytes:
    """The PNG thumbnail of the image whose bytes are `chunks` (read only on a cache miss)."""
    with _lock:
        found = _cache.get(sha256)
        if found is not None:
            _cache.move_to_end(sha256)
            return found
    made = _make(chunks)
    with _lock:
        _cache[sha256] = made
        while len(_cache) > CACHED:
            _cache.popitem(last=False)
    return made


def _make(chunks: Iterable[bytes]) -> bytes:
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as source:
        for chunk in chunks:
            source.write(chunk)
        source.seek(0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(source) as image:
                    image.seek(0)  # the first frame of an animation
                    image.thumbnail((MAX_SIDE, MAX_SIDE))
                    small = image.convert("RGBA") if image.mode not in ("RGB", "RGBA", "L", "LA") else image.copy()
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise NotAnImage(str(exc)) from None
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()
