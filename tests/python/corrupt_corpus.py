"""Makes broken copies of a good corpus, one per way a corpus can be wrong, for corpus_corrupt_test.

usage: corrupt_corpus.py GOOD.h5 OUTDIR
Writes OUTDIR/<case>.h5 for each case below and prints the case names.
"""
import os
import shutil
import sys

import h5py
import numpy as np


def edit(src, dst, fn):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        fn(f)


def replace(f, name, data):
    del f[name]
    f.create_dataset(name, data=data)


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
}


def main():
    good, outdir = sys.argv[1], sys.argv[2]
    for name, fn in CASES.items():
        edit(good, os.path.join(outdir, name + ".h5"), fn)
        print(name)


if __name__ == "__main__":
    main()
