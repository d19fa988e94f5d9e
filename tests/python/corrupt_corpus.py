"""Makes broken copies of a good corpus, one per way a corpus can be wrong, for corpus_corrupt_test.

usage: corrupt_corpus.py GOOD.h5 OUTDIR
Writes OUTDIR/<case>.h5 for each case below and prints the case names.
"""
import hashlib
import os
import shutil
import sys

import h5py
import numpy as np


def sign(path):
    """Rewrites the checksum block (data/corpus_checksum.h), as a buggy writer would have: so
    that the reader's structural checks behind the checksum are what these cases exercise."""
    with open(path, "r+b") as f:
        f.seek(512)
        digest = hashlib.sha256(f.read()).hexdigest()
        f.seek(0)
        f.write(("berth-corpus-sha256 " + digest + "\n").encode().ljust(512, b"\0"))


def edit(src, dst, fn):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        fn(f)
    sign(dst)


def replace(f, name, data):
    del f[name]
    f.create_dataset(name, data=data)


def claim_more_than_stored(f):
    # A header that claims 2^28 offsets (and as many rows) with no data written: HDF5 would read
    # the missing chunks as zeros, 2 GB of them (fuzz_corpus found this with one mutated byte).
    n = 1 << 28
    del f["offsets"]
    f.create_dataset("offsets", shape=(n,), dtype=np.int64, chunks=(1024,))
    f.attrs["rows_written"] = np.int64(n - 1)


CASES = {
    "missing_offsets": lambda f: f.__delitem__("offsets"),
    "missing_input_ids": lambda f: f.__delitem__("input_ids"),
    "not_monotone": lambda f: replace(f, "offsets", np.array(
        [0, 5, 3] + list(f["offsets"][3:]), dtype=np.int64)),
    "last_offset": lambda f: replace(f, "offsets", np.concatenate(
        [f["offsets"][:-1], [f["offsets"][-1] + 10]]).astype(np.int64)),
    "label_range": lambda f: replace(f, "labels", np.array(
        [0] + [len(f["label_names"])] + list(f["labels"][2:]), dtype=np.int32)),
    "labels_without_names": lambda f: f.__delitem__("label_names"),
    "wrong_version": lambda f: f.attrs.__setitem__("format_version", np.int64(99)),
    "not_a_corpus": lambda f: f.attrs.__delitem__("format"),
    "float_ids": lambda f: replace(f, "input_ids", f["input_ids"][:].astype(np.float32)),
    "claims_more_than_stored": claim_more_than_stored,
}


def main():
    good, outdir = sys.argv[1], sys.argv[2]
    for name, fn in CASES.items():
        edit(good, os.path.join(outdir, name + ".h5"), fn)
        print(name)


if __name__ == "__main__":
    main()
