// Kept so that includes of the old name keep working; the settings of every family are
// model/model_config.h's ModelConfig (BertConfig is an alias of it).
#pragma once

#include "model/model_config.h"
