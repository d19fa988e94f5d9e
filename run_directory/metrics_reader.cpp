#include "run_directory/metrics_reader.h"

#include <fstream>

#include "common/error.h"

namespace berth::run_directory {

int64_t for_each_record(const std::filesystem::path& path,
                        const std::function<void(const Record&)>& each) {
  std::ifstream in(path);
  int64_t bad = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto r = parse_record(line);
    if (r)
      each(*r);
    else
      ++bad;
  }
  return bad;
}

MetricsFile read_metrics(const std::filesystem::path& path, const std::string& component) {
  if (!std::ifstream(path))
    throw data_error(component, "cannot read " + path.string(),
                     "give the run directory of a `berth train` run (train.run_dir)");
  MetricsFile f;
  f.bad_lines = for_each_record(path, [&](const Record& r) { f.records.push_back(r); });
  return f;
}

}  // namespace berth::run_directory
