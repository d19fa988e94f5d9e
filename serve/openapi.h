// The OpenAPI 3 document of `berth serve`'s routes (GET /openapi.json, and TEI's path
// /api-doc/openapi.json): request and response schemas as serve/tei.h describes them, and the
// bearer scheme when --api-key is set. Written by hand: the routes are few and fixed.
#pragma once

#include <string>

namespace berth::serve {

std::string openapi_document(const std::string& version, bool bearer_auth);

}  // namespace berth::serve
