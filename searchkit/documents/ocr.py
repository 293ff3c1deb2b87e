"""OCR of PDF pages that have no text layer: Tesseract with its Polish model.

Two ways to run Tesseract, the same model (Debian: ``tesseract-ocr-pol``) and
the same page image either way:

* the tesserocr library (``pip install 'searchkit[ocr]'``; its wheel bundles
  libtesseract 5.5), one engine per process, created on first use, so a
  worker forked from the indexer builds its own: about 1.6 times the pages
  per minute of the command, same recall (benchmarks/ocr.py);
* else the ``tesseract`` command (Debian: ``tesseract-ocr``), the page piped
  to it as a PGM image.  Not the default dependency because tesserocr's Linux
  wheel carries a GPL-2+ library (libjbig, through libtiff).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
import unicodedata
from functools import lru_cache

from .model import DocumentError

LANGUAGE = "pol"
# 300 dpi finds 3 more of the 142 words of the sample's page 1 than 200 dpi
# (99.3 against 97.2 %) at 0.7 times the speed: a word not recognised cannot
# be found, so recall decides.
DPI = 300
# A page bigger than A2 is rendered at a lower resolution, so that a poster
# does not take gigabytes (A4 at 300 dpi: 8.7 million pixels).
MAX_PIXELS = 36_000_000

# Where distributions put the models when TESSDATA_PREFIX does not say.
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",  # Debian 12+, Ubuntu 22.04+
    "/usr/share/tesseract-ocr/4.00/tessdata",  # Debian 11, Ubuntu 20.04
    "/usr/share/tessdata",  # Fedora, Arch
    "/usr/local/share/tessdata",  # built from source, Homebrew (Intel)
    "/opt/homebrew/share/tessdata",  # Homebrew (Apple silicon)
)

_engine = None
_engine_pid = None
_lock = threading.Lock()  # one TessBaseAPI must not OCR two pages at once


def _tessdata() -> str | None:
    """The folder holding the Polish model, or None."""
    prefix = os.environ.get("TESSDATA_PREFIX")
    # Tesseract itself looks only where TESSDATA_PREFIX points when it is set;
    # so do we, so that the variable means the same to both.
    dirs = [prefix, os.path.join(prefix, "tessdata")] if prefix else TESSDATA_DIRS
    for folder in dirs:
        if os.path.isfile(os.path.join(folder, LANGUAGE + ".traineddata")):
            return folder
    return None


# Which engine to use when both are there (tests set it to try each).
PREFER = ("tesserocr", "command")


def engine() -> str | None:
    """"tesserocr" or "command", whichever is installed first in PREFER; None if neither."""
    import shutil

    for name in PREFER:
        if name == "tesserocr":
            try:
                import tesserocr  # noqa: F401
                return name
            except ImportError:
                continue
        if name == "command" and shutil.which("tesseract"):
            return name
    return None


def unavailable() -> str | None:
    """None when OCR can run, else what is missing, in one sentence."""
    if engine() is None:
        return ("OCR needs Tesseract with its Polish model: apt-get install tesseract-ocr "
                "tesseract-ocr-pol (or pip install 'searchkit[ocr]' for the library, with the "
                "model)")
    if _tessdata() is None:
        where = os.environ.get("TESSDATA_PREFIX") or ", ".join(TESSDATA_DIRS)
        return (f"OCR needs Tesseract's Polish model ({LANGUAGE}.traineddata, not found in {where}): "
                "apt-get install tesseract-ocr-pol, or set TESSDATA_PREFIX to the folder that holds it")
    return None


def engine_signature() -> str:
    """Engine, model and resolution: part of the cache key, so any change re-OCRs."""
    missing = unavailable()
    if missing:
        raise DocumentError(missing)
    model = os.path.join(_tessdata(), LANGUAGE + ".traineddata")
    if engine() == "tesserocr":
        import tesserocr

        version = tesserocr.tesseract_version().split("\n", 1)[0].strip()  # "tesseract 5.5.4"
        version += f" (tesserocr {tesserocr.__version__})"
    else:
        version = _command_version()
    return f"{version} {LANGUAGE}:{_digest(model)} {DPI}dpi"


@lru_cache(maxsize=1)
def _command_version() -> str:
    import subprocess

    done = subprocess.run(["tesseract", "--version"], capture_output=True, text=True)
    return (done.stdout or done.stderr).split("\n", 1)[0].strip() + " (command)"


@lru_cache(maxsize=4)
def _digest(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]


def _api():
    """This process's engine: a child of a fork makes its own, never the parent's."""
    global _engine, _engine_pid
    if _engine is None or _engine_pid != os.getpid():
        missing = unavailable()
        if missing:
            raise DocumentError(missing)
        import tesserocr

        folder = _tessdata()
        try:
            _engine = tesserocr.PyTessBaseAPI(path=folder, lang=LANGUAGE)
        except RuntimeError:
            raise DocumentError(f"tesseract cannot load {LANGUAGE}.traineddata from {folder}") from None
        _engine_pid = os.getpid()
    return _engine


def _render(path: str, page_number: int) -> tuple[bytes, int, int, int, int]:
    """The page as 8-bit grey pixels: (pixels, width, height, bytes per row, dpi)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except OSError as e:  # pypdfium2 raises FileNotFoundError without a strerror
        raise DocumentError(f"cannot read: {e.strerror or 'no such file'}") from None
    except pdfium.PdfiumError as e:
        raise DocumentError(f"cannot open the PDF for OCR: {e}") from None
    try:
        if not 1 <= page_number <= len(pdf):
            raise DocumentError(f"no page {page_number}: the PDF has {len(pdf)}")
        page = pdf[page_number - 1]
        width, height = page.get_size()  # in points, 1/72 inch
        if width <= 0 or height <= 0:
            raise DocumentError(f"page {page_number} has no size")
        scale = min(DPI / 72, math.sqrt(MAX_PIXELS / (width * height)))
        bitmap = page.render(scale=scale, grayscale=True)
        # grayscale=True gives one byte a pixel: Tesseract takes the buffer as is
        return bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride, round(scale * 72)
    except pdfium.PdfiumError as e:
        raise DocumentError(f"cannot render page {page_number}: {e}") from None
    finally:
        pdf.close()


def ocr_page(path: str, page_number: int) -> str:
    """The text of one page (1-based) of a PDF on disk, recognised by Tesseract."""
    pixels, width, height, stride, dpi = _render(path, page_number)
    if engine() == "command":
        return _ocr_command(pixels, width, height, stride, dpi, page_number)
    with _lock:
        api = _api()
        try:
            api.SetImageBytes(pixels, width, height, 1, stride)
            api.SetSourceResolution(dpi)
            raw = api.GetUTF8Text()
        except RuntimeError as e:
            raise DocumentError(f"OCR failed on page {page_number}: {e}") from None
        finally:
            api.Clear()  # frees the page's image and results until the next page
    return clean(raw)


def _ocr_command(pixels: bytes, width: int, height: int, stride: int, dpi: int,
                 page_number: int) -> str:
    import subprocess

    missing = unavailable()
    if missing:
        raise DocumentError(missing)
    if stride != width:
        pixels = b"".join(pixels[row * stride:row * stride + width] for row in range(height))
    try:
        done = subprocess.run(
            ["tesseract", "--tessdata-dir", _tessdata(), "stdin", "stdout", "-l", LANGUAGE,
             "--dpi", str(dpi)],
            input=b"P5\n%d %d\n255\n" % (width, height) + pixels, capture_output=True,
            timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise DocumentError(f"OCR failed on page {page_number}: {e}") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DocumentError(f"OCR failed on page {page_number}: "
                            f"{reason[-1] if reason else done.returncode}")
    return clean(done.stdout.decode("utf-8", "replace"))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b]")


def clean(raw: str) -> str:
    """Tesseract's lines, blank line between paragraphs -> one paragraph a line.

    A word split at a line end ("ak-" / "tualizowana") is joined when the next
    line starts with a lower-case letter, as the PDF reader does.
    """
    raw = _CONTROL.sub("", unicodedata.normalize("NFC", raw).replace("\u00a0", " "))
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n", raw):
        text = ""
        for line in block.split("\n"):
            line = " ".join(line.split())
            if not line:
                continue
            if text.endswith("-") and text[-2:-1].isalpha() and line[0].islower():
                text = text[:-1] + line
            else:
                text = f"{text} {line}" if text else line
        if text:
            paragraphs.append(text)
    return "\n".join(paragraphs)
