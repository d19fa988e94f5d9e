// TensorBoard as users start it on a `berth train` run (issue 30): `tensorboard --logdir
// <run>/tensorboard` with its default loader (the Rust data server), asked over HTTP, and its
// dashboard opened in headless Chromium (tests/python/tensorboard_server.py). With DT_DOUBLE
// scalars the data server listed no tags and the dashboard was empty, while the Python loader
// read every one; so the tags the data server lists, and the cards the page shows, must be all
// those the Python loader reads. Labelled slow (browser_tests): a training run and a browser.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string chromium() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(c)) return c;
  return {};
}

TEST(BrowserTensorBoard, TheDefaultLoaderAndTheDashboardShowEveryTagOfABerthRun) {
  const std::string browser = chromium();
  ASSERT_FALSE(browser.empty()) << "no chromium: `make setup` installs the Debian package";
  TempDir d;
  run_python("make_tiny_model.py '" + (d / "tiny").string() + "' '" + default_model().string() +
             "' 3 0.1");
  write_file(d / "train.csv", learnable_csv(60));
  write_file(d / "dev.csv", learnable_csv(24));
  write_file(d / "test.csv", learnable_csv(24));
  std::ostringstream c;
  c << "[model]\npath = '" << (d / "tiny").string() << "'\n[data]\ntrain = '"
    << (d / "train.csv").string() << "'\ndev = '" << (d / "dev.csv").string() << "'\ntest = '"
    << (d / "test.csv").string() << "'\nbatch_size = 8\nmax_length = 32\n"
    << "[optim]\nlr = 3e-3\nwarmup_steps = 2\n[train]\nmax_steps = 10\nlog_every = 2\n"
    << "eval_every = 5\nrun_dir = '" << (d / "run").string() << "'\n[runtime]\nthreads = 1\n";
  write_file(d / "run.toml", c.str());
  auto t =
      run_command("'" + berth_binary() + "' train --config '" + (d / "run.toml").string() + "'");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const fs::path logdir = d / "run" / "tensorboard";

  // Berth's tag names, as TensorBoard's Python loader reads them from the same files.
  const json python =
      json::parse(run_python("tensorboard_events.py '" + logdir.string() + "'").out);
  std::set<std::string> want;
  for (const auto& [tag, points] : python["accumulator"].items()) want.insert(tag);
  for (const char* tag :
       {"train/loss", "train/lr", "dev/accuracy", "dev/macro_f1", "dev/f1/c0", "test/accuracy"})
    EXPECT_TRUE(want.count(tag)) << tag << " is not written at all";

  const fs::path png = d / "tensorboard.png";
  const json got = json::parse(run_python("tensorboard_server.py '" + logdir.string() +
                                          "' test/accuracy --chromium '" + browser +
                                          "' --screenshot '" + png.string() + "'")
                                   .out);
  EXPECT_EQ(got["loader"], "fast") << "the test must exercise the data server: " << got.dump();
  // The log directory holds the event file itself: one run, ".".
  ASSERT_EQ(got["tags"].size(), 1u) << got.dump();
  std::set<std::string> listed;
  for (const auto& [tag, info] : got["tags"].begin().value().items()) listed.insert(tag);
  EXPECT_EQ(listed, want) << got.dump();
  std::set<std::string> shown;
  for (const auto& tag : got["shown"]) shown.insert(tag.get<std::string>());
  EXPECT_EQ(shown, want) << "the dashboard's cards: " << got["shown"].dump();

  ASSERT_TRUE(fs::exists(png)) << got.dump();
  // The page drew: TensorBoard's orange header band, and the rest not blank.
  const json check =
      json::parse(run_python("png_check.py '" + png.string() + "' header=#f57c00").out);
  EXPECT_EQ(check["width"], 1360) << check.dump();
  EXPECT_GT(check["colors"]["header"].get<int>(), 1360 * 40) << check.dump();
  EXPECT_GT(check["ink"].get<double>(), 0.03) << check.dump();
  if (const char* keep = std::getenv("BERTH_KEEP_TENSORBOARD_PNG"))  // for a look by eye
    fs::copy_file(png, keep, fs::copy_options::overwrite_existing);
}

}  // namespace
}  // namespace berth::test
