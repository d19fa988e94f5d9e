// A model/ header that includes dist/: the layering check must fail on this tree (the
// layering_catches_violation test runs cmake/layering.cmake with this folder as the source root).
#pragma once

#include "dist/communicator.h"
