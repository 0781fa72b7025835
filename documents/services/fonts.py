"""Compact CJK font subsets in WeasyPrint's output.

WeasyPrint subsets fonts but keeps every glyph id up to the highest one used, so that
the ids in its content streams stay valid. For a CJK font (Noto Serif CJK: 65,000
glyphs, ideographs at high ids) that keeps tens of thousands of empty glyphs and makes a
one-page notice weigh over 200 KB. Noto CJK is a CID-keyed CFF font (Adobe-Identity-0,
CID = glyph id); embedded as a bare CID-keyed CFF (FontFile3 /CIDFontType0C, the form
Acrobat itself writes) its charset maps each CID to its glyph, so the subset may renumber
glyphs while the content streams keep the CIDs. This finisher re-subsets each such font
to the glyphs used, with HarfBuzz (which keeps CIDs in the charset), and replaces the
embedded font; anything it cannot prove right is left as WeasyPrint wrote it.

It reaches into WeasyPrint's internals (its HarfBuzz bindings and font objects); the
version is pinned in requirements.lock and the tests render and compare every kind.
"""

from __future__ import annotations

import io
import logging

import pydyf

logger = logging.getLogger(__name__)


def _hb():
    from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset

    if harfbuzz_subset is None:
        return None
    return ffi, harfbuzz, harfbuzz_subset


def _cff_subset(font, gids: list[int]) -> bytes | None:
    """The CFF table of the font reduced to `gids`, glyphs renumbered, CIDs kept."""
    bindings = _hb()
    if bindings is None:
        return None
    ffi, harfbuzz, harfbuzz_subset = bindings
    subset_input = ffi.gc(
        harfbuzz_subset.hb_subset_input_create_or_fail(),
        harfbuzz_subset.hb_subset_input_destroy,
    )
    glyph_set = harfbuzz_subset.hb_subset_input_glyph_set(subset_input)
    array = ffi.new(f"hb_codepoint_t[{len(gids)}]", gids)
    harfbuzz.hb_set_add_sorted_array(glyph_set, array, len(gids))
    harfbuzz_subset.hb_subset_input_set_flags(
        subset_input,
        harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE | harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING,
    )
    face = harfbuzz_subset.hb_subset_or_fail(font.hb_face, subset_input)
    if face == ffi.NULL:
        return None
    face = ffi.gc(face, harfbuzz.hb_face_destroy)
    blob = harfbuzz.hb_face_reference_table(face, harfbuzz.hb_tag_from_string(b"CFF ", -1))
    try:
        length = ffi.new("unsigned int *")
        data = harfbuzz.hb_blob_get_data(blob, length)
        return bytes(ffi.unpack(data, length[0])) if length[0] else None
    finally:
        harfbuzz.hb_blob_destroy(blob)


def _keeps_cids(cff: bytes, gids: list[int]) -> bool:
    """Whether the subset is CID-keyed and maps every used CID to a glyph."""
    from fontTools.cffLib import CFFFontSet

    font_set = CFFFontSet()
    font_set.decompile(io.BytesIO(cff), None)
    top = font_set[font_set.fontNames[0]]
    if not hasattr(top, "ROS"):
        return False
    charset = set(top.charset)
    return all(gid == 0 or f"cid{gid:05d}" in charset for gid in gids)


def compact_cjk_fonts(document, pdf: pydyf.PDF) -> None:
    """A WeasyPrint ``finisher``: replace retained-id subsets by compact CID-keyed CFF."""
    streams = {
        id(obj.stream[0]): obj
        for obj in pdf.objects
        if isinstance(obj, pydyf.Stream) and len(obj.stream) == 1
    }
    by_file: dict[object, list] = {}
    for font in document.fonts.values():
        by_file.setdefault(font.hash, []).append(font)
    for fonts in by_file.values():
        font = fonts[0]
        stream = streams.get(id(font.file_content))
        if stream is None or font.type != "otf" or font.missing or font.bitmap:
            continue
        gids = sorted({0, *(gid for f in fonts for gid in f.to_unicode)})
        try:
            cff = _cff_subset(font, gids)
            if not cff or not _keeps_cids(cff, gids):
                continue
        except Exception:  # never fail a document over an optimisation
            logger.warning("documents: could not compact font %s", font.family, exc_info=True)
            continue
        stream.stream[0] = cff
        stream.extra["Subtype"] = "/CIDFontType0C"
