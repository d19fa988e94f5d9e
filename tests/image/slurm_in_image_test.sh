#!/usr/bin/env bash
# The multi-node Slurm test (tests/slurm/multi_node_test.sh, on its 2-node cluster in
# namespaces) with every rank started inside the image's root file system: BERTH is
# tests/image/berth_in_image.sh, so slurm/train.sbatch's launcher (the host's mpirun, or srun
# with --mpi=pmix) starts the image's berth on its Open MPI, as with Apptainer on a real
# cluster (docs/cluster.md, "The hybrid MPI model"). Phases "eq" (mpirun over 2 nodes == 2 ranks
# on one, within 1e-5) and "stop" (srun --mpi=pmix, TCP between the nodes, scancel -> a stop
# checkpoint on both ranks) by default; BERTH_SLURM_PHASES picks others.
# CTest image_slurm (label image); needs root.
set -euo pipefail
source "$(dirname "$0")/image_env.sh"
unpack_image
export BERTH_SLURM_PHASES=${BERTH_SLURM_PHASES:-eq stop}
# The ranks' executable as the host sees it: proves that they run the image's berth.
export BERTH_EXE=$RootFS/opt/berth/bin/berth
export BERTH_SLURM_DIR=${BERTH_SLURM_DIR:-/tmp/berth-slurm-image}
exec bash "$ROOT/tests/slurm/multi_node_test.sh" "$ROOT/tests/image/berth_in_image.sh"
