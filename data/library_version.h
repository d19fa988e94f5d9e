// The HDF5 library this berth runs with (corpora are HDF5 files), for `berth --version`.
#pragma once

#include <string>

namespace berth::data {

std::string hdf5_version();  // "1.10.10"

}  // namespace berth::data
