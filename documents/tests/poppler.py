"""Poppler's command-line tools, as the checks of the issue use them."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _run(*args: str) -> str:
    result = subprocess.run(list(args), capture_output=True, text=True, check=False)
    return result.stdout + result.stderr


def pdftotext(path: Path, *, raw: bool = False) -> str:
    """The text; ``raw`` keeps the content stream's order (columns not interleaved)."""
    return _run("pdftotext", "-raw" if raw else "-layout", str(path), "-")


def pdffonts(path: Path) -> list[dict]:
    """One row per font: name, type, emb, sub, uni."""
    lines = _run("pdffonts", str(path)).splitlines()
    rows = []
    for line in lines[2:]:
        parts = line.split()
        if len(parts) < 7:
            continue
        # name, type (may contain spaces), encoding, emb, sub, uni, object, id
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return rows


def pdfinfo(path: Path) -> dict[str, str]:
    info = {}
    for line in _run("pdfinfo", str(path)).splitlines():
        key, _sep, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def pdfsig(path: Path, nss_dir: str) -> str:
    """pdfsig's report. It exits 0 even on a digest mismatch: read the text."""
    return _run("pdfsig", "-nssdir", nss_dir, str(path))


def pdftoppm_first_page(path: Path, out_base: Path, dpi: int = 80) -> Path:
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(out_base),
        ],
        check=True,
        capture_output=True,
    )
    return out_base.with_suffix(".png")
