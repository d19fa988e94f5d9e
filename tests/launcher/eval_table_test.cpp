// `berth eval`'s table for a terminal: scores, per-class rows and the confusion matrix, aligned.
#include "launcher/eval_table.h"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

TEST(EvalTable, ShowsScoresPerClassRowsAndTheConfusionMatrix) {
  model::ClassificationReport r;
  r.total = 5;
  r.accuracy = 0.6;
  r.macro_f1 = 0.5556;
  r.per_class = {{"games", 1.0, 0.5, 0.6667, 2, 1},
                 {"sound", 0.5, 1.0, 0.6667, 1, 2},
                 {"fonts", 0.5, 0.5, 0.5, 2, 2}};
  r.confusion = {{1, 1, 0}, {0, 1, 0}, {0, 0, 1}};
  std::string t = launcher::format_eval_table(r, 0.1234);
  EXPECT_NE(t.find("5 examples   accuracy 0.6000   macro-F1 0.5556   loss 0.1234"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("games         1.0000     0.5000     0.6667          2"), std::string::npos)
      << t;
  EXPECT_NE(t.find("confusion matrix (rows: true label, columns: predicted)"), std::string::npos);
  EXPECT_NE(t.find("          games sound fonts\ngames         1     1     0"), std::string::npos)
      << t;
}

}  // namespace
}  // namespace berth::test
