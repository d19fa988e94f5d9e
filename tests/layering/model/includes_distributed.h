// A model/ header that includes distributed/: the layering check must fail on this tree (the
// layering_catches_violation test runs cmake/layering.cmake with this folder as the source root).
#pragma once

#include "distributed/communicator.h"
