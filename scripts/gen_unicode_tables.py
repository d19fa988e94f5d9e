#!/usr/bin/env python3
"""Generates data/unicode_overrides.h: where the Rust `tokenizers` crate differs from utf8proc.

Why: Berth's tokenizer (data/tokenizer.cpp) classifies characters with utf8proc, but Hugging Face's
BertTokenizerFast runs the Rust `tokenizers` crate, whose character classes come from several
Unicode versions at once: the `unicode_categories` crate (old Unicode, used for "other" chars that
clean_text drops, punctuation, nonspacing marks), `unicode-normalization-alignments` (NFD), and
Rust's std (`char::to_lowercase`, `char::is_whitespace`, newer Unicode). utf8proc has one Unicode
version. So this script asks the real crate (through the Python `tokenizers` package of the venv)
what it does with every code point, asks utf8proc (through ctypes) what Berth's C++ model would do,
and writes only the differences. The per-code-point model below must stay in step with
data/tokenizer.cpp (functions model_* mirror it).

Run:  .venv/bin/python scripts/gen_unicode_tables.py > data/unicode_overrides.h
The tokenizer test's full code point sweep checks the result end to end.
"""
import ctypes
import sys

import tokenizers
from tokenizers import normalizers, pre_tokenizers

lib = ctypes.CDLL("libutf8proc.so.2")
lib.utf8proc_version.restype = ctypes.c_char_p
lib.utf8proc_unicode_version.restype = ctypes.c_char_p
lib.utf8proc_category.restype = ctypes.c_int
lib.utf8proc_category.argtypes = [ctypes.c_int32]
lib.utf8proc_tolower.restype = ctypes.c_int32
lib.utf8proc_tolower.argtypes = [ctypes.c_int32]
lib.utf8proc_decompose_char.restype = ctypes.c_ssize_t
lib.utf8proc_decompose_char.argtypes = [ctypes.c_int32, ctypes.POINTER(ctypes.c_int32),
                                        ctypes.c_ssize_t, ctypes.c_int,
                                        ctypes.POINTER(ctypes.c_int)]
DECOMPOSE = 1 << 4
CAT_MN, CAT_PC, CAT_PO, CAT_CC, CAT_CF, CAT_CS, CAT_CO = 6, 12, 18, 26, 27, 28, 29

WHITE_SPACE = {0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
               0x2028, 0x2029, 0x202F, 0x205F, 0x3000}


def cat(c):
    return lib.utf8proc_category(c)


# --- Berth's C++ model (keep in step with data/tokenizer.cpp) ------------------------------------
def model_removed(c):  # clean_text drops it
    if c in (0x9, 0xA, 0xD):
        return False
    return c == 0 or c == 0xFFFD or cat(c) in (CAT_CC, CAT_CF, CAT_CS, CAT_CO)


def model_punct(c):
    return (c < 0x80 and chr(c) in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") or \
        CAT_PC <= cat(c) <= CAT_PO


def model_strip(c):  # NFD, then drop nonspacing marks
    buf = (ctypes.c_int32 * 32)()
    bound = ctypes.c_int(0)
    n = lib.utf8proc_decompose_char(c, buf, 32, DECOMPOSE, ctypes.byref(bound))
    return "".join(chr(buf[i]) for i in range(n) if cat(buf[i]) != CAT_MN)


def model_lower(c):
    if c == 0x130:
        return "i\u0307"
    return chr(lib.utf8proc_tolower(c))


# --- the Rust crate -------------------------------------------------------------------------------
def bert_norm(**kw):
    args = dict(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    args.update(kw)
    return normalizers.BertNormalizer(**args)


clean = bert_norm(clean_text=True)
strip = bert_norm(strip_accents=True)
lower = bert_norm(lowercase=True)
pretok = pre_tokenizers.BertPreTokenizer()


def rust_removed(c):
    return clean.normalize_str("a" + chr(c) + "b") == "ab"


def rust_pretok(c):
    """'ws' (splits, removed), 'punct' (isolated) or 'word'."""
    parts = [p for p, _ in pretok.pre_tokenize_str("a" + chr(c) + "b")]
    if parts == ["a", "b"]:
        return "ws"
    if parts == ["a", chr(c), "b"]:
        return "punct"
    assert parts == ["a" + chr(c) + "b"], (hex(c), parts)
    return "word"


def ranges(cps):
    out = []
    for c in sorted(cps):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def c_str(s):
    return '"' + "".join("\\x%02x" % b for b in s.encode("utf-8")) + '"'


def main():
    removed_add, removed_del, punct_add, punct_del = set(), set(), set(), set()
    strip_keep, strip_map, lower_map = set(), {}, {}
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue  # surrogates cannot occur in decoded text
        r = rust_removed(c)
        if r != model_removed(c):
            (removed_add if r else removed_del).add(c)
        kind = rust_pretok(c)
        # Whitespace is Rust's char::is_whitespace (Unicode White_Space, stable): check the constant.
        assert (kind == "ws") == (c in WHITE_SPACE), hex(c)
        p = kind == "punct"
        if p != model_punct(c):
            (punct_add if p else punct_del).add(c)
        s = strip.normalize_str(chr(c))
        if s != model_strip(c):
            if s == chr(c):
                strip_keep.add(c)
            else:
                strip_map[c] = s
        lo = lower.normalize_str(chr(c))
        if lo != model_lower(c):
            lower_map[c] = lo

    w = sys.stdout.write
    w("// GENERATED by scripts/gen_unicode_tables.py -- do not edit.\n")
    w("// Where Hugging Face's Rust `tokenizers` %s differs from utf8proc %s (Unicode %s):\n"
      % (tokenizers.__version__, lib.utf8proc_version().decode(),
         lib.utf8proc_unicode_version().decode()))
    w("// the crate's character classes come from older (unicode_categories, NFD) or newer (Rust std\n"
      "// lowercase) Unicode versions than utf8proc. Found by probing every code point.\n")
    w("#pragma once\n#include <cstdint>\n\nnamespace berth::data::unicode_overrides {\n\n")
    w('constexpr const char* kUtf8procVersion = "%s";\n\n' % lib.utf8proc_version().decode())
    w("struct Range {\n  int32_t lo, hi;\n};\nstruct Mapping {\n  int32_t cp;\n"
      "  const char* utf8;  // replacement, may be empty\n};\n\n")
    for name, cps, doc in [
        ("kRemovedAdd", removed_add, "clean_text drops these though utf8proc's category is not C[cfso]"),
        ("kRemovedDel", removed_del, "clean_text keeps these though utf8proc says C[cfso]"),
        ("kPunctAdd", punct_add, "isolated as punctuation though utf8proc's category is not P*"),
        ("kPunctDel", punct_del, "not punctuation for the crate though utf8proc says P*"),
        ("kStripKeep", strip_keep,
         "strip_accents leaves these alone (unknown to the crate's NFD/Mn tables) unlike utf8proc"),
    ]:
        rs = ranges(cps)
        w("// %s (%d code points)\ninline constexpr Range %s[] = {\n" % (doc, len(cps), name))
        for lo, hi in rs:
            w("    {0x%04X, 0x%04X},\n" % (lo, hi))
        if not rs:
            w("    {-1, -1},\n")
        w("};\n\n")
    for name, m, doc in [
        ("kStripMap", strip_map, "strip_accents (NFD, drop Mn) of the single code point"),
        ("kLowerMap", lower_map, "lowercase (Rust char::to_lowercase) of the single code point"),
    ]:
        w("// %s where it differs from utf8proc (%d entries)\ninline constexpr Mapping %s[] = {\n"
          % (doc, len(m), name))
        for c in sorted(m):
            w("    {0x%04X, %s},\n" % (c, c_str(m[c])))
        if not m:
            w("    {-1, \"\"},\n")
        w("};\n\n")
    w("}  // namespace berth::data::unicode_overrides\n")


if __name__ == "__main__":
    main()
