#include "distributed/local_rank.h"

#include <charconv>
#include <cstring>

namespace berth::distributed {

LauncherLocalRank local_rank_from_env(const std::function<const char*(const char*)>& getenv) {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
    const char* v = getenv(name);
    if (!v || !*v) continue;
    int value = -1;
    const char* end = v + std::strlen(v);
    auto [ptr, ec] = std::from_chars(v, end, value);
    if (ec != std::errc() || ptr != end || value < 0) continue;
    return {value, name};
  }
  return {};
}

}  // namespace berth::distributed
