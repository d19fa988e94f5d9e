#include "model/random_init.h"

namespace berth::model {

namespace {
// Per thread: a Predictor loading on one thread must not stop another thread's training model
// from drawing its initial weights.
thread_local bool random_init = true;
}  // namespace

NoRandomInit::NoRandomInit() : before_(random_init) {
  random_init = false;
}

NoRandomInit::~NoRandomInit() {
  random_init = before_;
}

bool random_init_enabled() {
  return random_init;
}

}  // namespace berth::model
