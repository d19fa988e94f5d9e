#include "checkpoint/resume_from.h"

#include "checkpoint/layout.h"

namespace berth::checkpoint {

ResumeFrom ResumeFrom::parse(const std::string& text) {
  ResumeFrom r;
  if (text == "auto") return r;
  if (text == "never") return r.kind = Kind::kNever, r;
  if (text == kLatestPointer) return r.kind = Kind::kLatest, r;
  if (text == kBestPointer) return r.kind = Kind::kBest, r;
  r.kind = Kind::kDirectory;
  r.dir = text;
  return r;
}

std::string ResumeFrom::str() const {
  switch (kind) {
    case Kind::kAuto:
      return "auto";
    case Kind::kNever:
      return "never";
    case Kind::kLatest:
      return kLatestPointer;
    case Kind::kBest:
      return kBestPointer;
    case Kind::kDirectory:
      break;
  }
  return dir.string();
}

}  // namespace berth::checkpoint
