// `berth report` in a real browser: a tiny run (stopped by a signal and resumed, with dev and test
// sets) is reported, headless Chromium renders the page to a PNG with the network off, and the
// image is decoded (tests/python/png_check.py) to check that the page drew: a tall page with
// ink, the curves' colours and the confusion matrix's cells. Labelled slow (browser_tests).
#include <gtest/gtest.h>

#include <sstream>

#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

std::string chromium() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(c)) return c;
  return {};
}

TEST(BrowserRender, TheReportOfAResumedRunRendersInHeadlessChromium) {
  const std::string browser = chromium();
  ASSERT_FALSE(browser.empty()) << "no chromium: `make setup` installs the Debian package";
  TempDir d;
  run_python("make_tiny_model.py '" + (d / "tiny").string() + "' '" + default_model().string() +
             "' 3 0.1");
  write_file(d / "train.csv", learnable_csv(90));
  write_file(d / "dev.csv", learnable_csv(24));
  write_file(d / "test.csv", learnable_csv(30));
  std::ostringstream c;
  c << "[model]\npath = '" << (d / "tiny").string() << "'\n[data]\ntrain = '"
    << (d / "train.csv").string() << "'\ndev = '" << (d / "dev.csv").string() << "'\ntest = '"
    << (d / "test.csv").string() << "'\nbatch_size = 8\nmax_length = 32\n"
    << "[optim]\nlr = 3e-3\nwarmup_steps = 3\n[train]\nmax_steps = 30\nlog_every = 2\n"
    << "eval_every = 5\nrun_dir = '" << (d / "run").string() << "'\n"
    << "[checkpoint]\nevery_steps = 10\nkeep_last = 2\nkeep_best = 1\n[runtime]\nthreads = 1\n";
  write_file(d / "run.toml", c.str());
  const std::string train = "'" + berth_binary() + "' train --config '" + (d / "run.toml").string();
  auto a = run_command(train + "' --stop-after-step 12");
  ASSERT_EQ(a.exit_code, 75) << a.err;
  auto b = run_command(train + "'");
  ASSERT_EQ(b.exit_code, 0) << b.err;

  const auto html = d / "report.html";
  auto r = run_command("'" + berth_binary() + "' report '" + (d / "run").string() + "' --output '" +
                       html.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, html.string() + "\n");  // the path, for scripts

  const auto png = d / "report.png";
  // No network: the page must draw from itself alone.
  auto shot = run_command(
      "timeout 120 '" + browser +
      "' --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run "
      "--proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>' --window-size=1360,2600 "
      "--screenshot='" +
      png.string() + "' 'file://" + html.string() + "' 2>&1");
  ASSERT_TRUE(fs::exists(png)) << shot.out << shot.err;
  auto check =
      nlohmann::json::parse(run_python("png_check.py '" + png.string() +
                                       "' blue=#1f77b4 orange=#ff7f0e green=#2ca02c purple=#9467bd")
                                .out);
  EXPECT_EQ(check["width"], 1360) << check.dump();
  EXPECT_GT(check["ink"].get<double>(), 0.03) << check.dump();
  for (const char* colour : {"blue", "orange", "green", "purple"})
    EXPECT_GT(check["colors"][colour].get<int>(), 30) << colour << " " << check.dump();
  if (const char* keep = std::getenv("BERTH_KEEP_REPORT_PNG"))  // for a look by eye
    fs::copy_file(png, keep, fs::copy_options::overwrite_existing);
}

}  // namespace
}  // namespace berth::test
