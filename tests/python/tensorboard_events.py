"""Reads a TensorBoard log directory with the tensorboard package's own readers and prints JSON:
  {"raw": [[tag, step, value, wall_time], ...]   every scalar event of every event file, in the
                                                  order TensorBoard reads them (EventFileLoader,
                                                  which checks the record CRCs),
   "accumulator": {tag: [[step, value], ...]},     what TensorBoard's server ingests
                                                  (plugin_event_accumulator, scalars plugin),
   "files": [names]}
Values are read from the tensor protos with tensor_util.make_ndarray, as the scalars plugin does.
Usage: tensorboard_events.py LOGDIR
"""
import json
import os
import sys

from tensorboard.backend.event_processing import event_file_loader, io_wrapper
from tensorboard.backend.event_processing import plugin_event_accumulator as pea
from tensorboard.util import tensor_util


def value_of(v):
    if v.HasField("tensor"):
        return float(tensor_util.make_ndarray(v.tensor).item())
    return float(v.simple_value)


def main():
    logdir = sys.argv[1]
    files = sorted(f for f in os.listdir(logdir)
                   if io_wrapper.IsSummaryEventsFile(os.path.join(logdir, f)))
    raw = []
    for f in files:
        for event in event_file_loader.EventFileLoader(os.path.join(logdir, f)).Load():
            for v in event.summary.value:
                raw.append([v.tag, event.step, value_of(v), event.wall_time])
    acc = pea.EventAccumulator(logdir, size_guidance={pea.TENSORS: 0})
    acc.Reload()
    scalars = {}
    for tag in acc.Tags()["tensors"]:
        if acc.SummaryMetadata(tag).plugin_data.plugin_name != "scalars":
            continue
        scalars[tag] = [[e.step, float(tensor_util.make_ndarray(e.tensor_proto).item())]
                        for e in acc.Tensors(tag)]
    print(json.dumps({"raw": raw, "accumulator": scalars, "files": files}))


if __name__ == "__main__":
    main()
