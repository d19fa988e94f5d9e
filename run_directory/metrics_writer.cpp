#include "run_directory/metrics_writer.h"

#include <chrono>

#include "common/error.h"

namespace berth::run_directory {

MetricsWriter::MetricsWriter(const std::filesystem::path& path) : out_(path, std::ios::app) {
  if (!out_) {
    throw usage_error("metrics", "cannot open " + path.string() + " for appending",
                      "check that train.run_dir is writable");
  }
}

void MetricsWriter::write(RecordType type, int64_t step, nlohmann::json fields) {
  if (!out_.is_open()) return;
  Record r;
  r.type = type;
  r.step = step;
  r.schema = kSchemaVersion;
  r.time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  // The type and step first: a person reading the file sees what each line is.
  r.fields = {{"type", to_string(type)}, {"step", step}};
  r.fields.update(fields);
  r.fields["schema"] = kSchemaVersion;
  r.fields["time"] = r.time;
  out_ << r.fields.dump() << '\n';
  out_.flush();
  for (const auto& sink : sinks_) sink(r);
}

}  // namespace berth::run_directory
