# Sourced (not run) by the scripts that run on a lent GPU machine from the repository root, with
# .device/ made here by scripts/device_bundle.sh: that machine has CUDA, PyTorch and transformers
# but none of Berth's other libraries. Sets py (its python3, or $PY), mpirun_bin and
# LD_LIBRARY_PATH (its torch/NCCL/CUDA first, then the bundle's libraries), and the MPI and
# Hugging Face environment. Expects B (the bundle's directory).
py=${PY:-$(command -v python3)}
sp=$($py -c 'import torch, os; print(os.path.dirname(os.path.dirname(torch.__file__)))')
lib="$sp/torch/lib:$sp/nvidia/nccl/lib:$sp/nvidia/cu13/lib"
# Open MPI: the machine's own if it has one (libmpi.so.40 + mpirun), else Debian's from the bundle
# under its original paths (copied only where nothing exists).
# Not grep -q: it would end ldconfig early, and under pipefail SIGPIPE reads as "no match".
if command -v mpirun >/dev/null && ldconfig -p | grep 'libmpi.so.40 ' >/dev/null; then
  mpirun_bin=$(command -v mpirun)
  echo "MPI: the machine's ($mpirun_bin)"
else
  cp -an "$B/root/." /
  mpirun_bin=/usr/bin/orterun
  lib="$lib:$B/mpilib"
  echo "MPI: Debian's Open MPI from the bundle"
fi
# Bundled libraries come last: the machine's own win where both exist.
export LD_LIBRARY_PATH="$lib:$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1 OMPI_MCA_mca_base_component_show_load_errors=0
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
