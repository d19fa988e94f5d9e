#include "common/version.h"

#include "berth_commit.h"  // generated in the build tree

namespace berth {

std::string version() {
  return BERTH_VERSION;
}

std::string commit() {
  return BERTH_COMMIT;
}

}  // namespace berth
