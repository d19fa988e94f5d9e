#!/usr/bin/env bash
# `berth` as a host command that runs the image's berth, each call in the unpacked image
# (tests/image/image_env.sh; unpack it first): what scripts/image/berth-apptainer does with
# `apptainer exec`, for a machine without Apptainer. tests/image/slurm_in_image_test.sh passes
# it as BERTH to slurm/train.sbatch, so srun and mpirun start every rank inside the image.
# Binds, besides Apptainer's defaults: ~/.cache/berth (the nodes' corpus caches).
source "$(dirname "$0")/image_env.sh"
[[ -f $RootFS/.berth-archive ]] || fail "the image is not unpacked at $RootFS (tests/image/image_test.sh contents does it)"
mkdir -p "$HOME/.cache/berth"
in_image_exec --bind "$HOME/.cache/berth" berth "$@"
