#include "distributed/mpi_communicator.h"

#include <ATen/ATen.h>
// The C API only: the deprecated C++ bindings would need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "distributed/local_rank.h"

namespace berth::distributed {

namespace {

// Tags on the control communicator (a duplicate of MPI_COMM_WORLD used for nothing else).
constexpr int kTagAsk = 71;
constexpr int kTagAnswer = 72;
// MPI counts are ints; larger buffers go in several calls.
constexpr int64_t kMaxChunk = int64_t(1) << 30;

// What a rank answers when another one asks where it is (plain bytes: ranks share a binary).
struct Whereabouts {
  int64_t seq = 0;      // the collective running now, or the last one that ran (1-based)
  int32_t running = 0;  // 1 while `seq` is in progress
  int32_t reserved = 0;
  double idle_s = 0;  // seconds since `seq` finished, when not running
  char name[40] = {};
};

Error comm_error(const std::string& message, const std::string& hint) {
  return Error("comm", message, hint, ExitCode::kDistributed);
}

std::string mpi_error_text(int code) {
  char buf[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, buf, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(buf, len);
}

void check(int rc, const std::string& call) {
  if (rc != MPI_SUCCESS) {
    throw comm_error(call + " failed: " + mpi_error_text(rc),
                     "another rank probably died; see its log (<run_dir>/logs/rank-N.log)");
  }
}

MPI_Datatype sum_type(at::ScalarType t) {
  switch (t) {
    case at::kFloat:
      return MPI_FLOAT;
    case at::kDouble:
      return MPI_DOUBLE;
    case at::kLong:
      return MPI_INT64_T;
    case at::kInt:
      return MPI_INT32_T;
    default:
      return MPI_DATATYPE_NULL;
  }
}

std::string describe(const at::Tensor& t) {
  return std::to_string(t.numel()) + " x " + std::string(c10::toString(t.scalar_type()));
}

std::string seq_name(int64_t seq, const std::string& name) {
  return "#" + std::to_string(seq) + " (" + name + ")";
}

}  // namespace

// One posted collective. `next` starts its next phase (one non-blocking MPI call) and returns
// false when none is left; buffers it needs are captured by it and live as long as the Op.
struct Op {
  std::string name;
  std::string detail;
  int64_t seq = 0;
  std::function<bool(MPI_Request*)> next;

  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::exception_ptr error;
};

struct MpiCommunicator::Impl {
  int rank = 0, world = 1, local_rank = 0, local_size = 1;
  std::string local_rank_from;     // the launcher variable, or MPI's node-local communicator
  std::vector<std::string> hosts;  // every rank's host name, for messages that name a rank
  bool owns_mpi = false;
  MPI_Comm coll = MPI_COMM_NULL;  // collectives
  MPI_Comm ctl = MPI_COMM_NULL;   // liveness questions and answers
  std::atomic<double> timeout_s{300};
  std::shared_ptr<spdlog::logger> log = log::get("comm");

  // Shared with callers, under `mu`.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::shared_ptr<Op>> queue;
  int64_t posted = 0;
  bool stopping = false;
  std::string broken;  // why the communicator is unusable (a collective failed)
  std::atomic<int> abort_code{-1};
  std::thread thread;

  // Communication thread only.
  int64_t current_seq = 0;
  bool running = false;
  std::string current_name = "none";
  Clock::time_point last_done = Clock::now();
  std::list<std::pair<std::unique_ptr<Whereabouts>, MPI_Request>> answers;
  // Ops that failed with an MPI request still pending: their buffers must outlive it.
  std::vector<std::shared_ptr<Op>> failed;
  std::deque<std::vector<int64_t>> questions;  // buffers of liveness questions sent

  std::shared_ptr<Op> post(std::string name, std::string detail,
                           std::function<bool(MPI_Request*)> next);
  void wait(Op& op);
  void loop();
  void run(const std::shared_ptr<Op>& op);
  void answer_questions();
  // Names the ranks that do not take part in `op` (and their hosts). `failure` is the MPI error
  // that ended it, empty for a timeout.
  std::string diagnose(const Op& op, double waited, const std::string& failure = "");
  [[noreturn]] void abort_now(int code);
};

namespace {
class MpiWork : public CommWork {
 public:
  MpiWork(MpiCommunicator::Impl* impl, std::shared_ptr<Op> op) : impl_(impl), op_(std::move(op)) {}
  void wait() override { impl_->wait(*op_); }

 private:
  MpiCommunicator::Impl* impl_;
  std::shared_ptr<Op> op_;
};
}  // namespace

std::shared_ptr<Op> MpiCommunicator::Impl::post(std::string name, std::string detail,
                                                std::function<bool(MPI_Request*)> next) {
  auto op = std::make_shared<Op>();
  op->name = std::move(name);
  op->detail = std::move(detail);
  op->next = std::move(next);
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!broken.empty()) {
      throw comm_error(op->name + " cannot start: an earlier collective failed (" + broken + ")",
                       "the job must be restarted (resume from the last checkpoint)");
    }
    op->seq = ++posted;
    queue.push_back(op);
  }
  cv.notify_one();
  return op;
}

void MpiCommunicator::Impl::wait(Op& op) {
  // No deadline here: the communication thread enforces it and always completes the op.
  std::unique_lock<std::mutex> lock(op.mu);
  op.cv.wait(lock, [&] { return op.done; });
  if (op.error) std::rethrow_exception(op.error);
}

void MpiCommunicator::Impl::abort_now(int code) {
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->flush(); });
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this is for an MPI that would
}

void MpiCommunicator::Impl::loop() {
  for (;;) {
    std::shared_ptr<Op> op;
    {
      std::unique_lock<std::mutex> lock(mu);
      // Wake up now and then while idle to answer liveness questions.
      cv.wait_for(lock, std::chrono::milliseconds(5),
                  [&] { return stopping || !queue.empty() || abort_code.load() >= 0; });
      if (abort_code.load() >= 0) {
        lock.unlock();
        abort_now(abort_code.load());
      }
      if (!queue.empty()) {
        op = std::move(queue.front());
        queue.pop_front();
      } else if (stopping) {
        return;
      }
    }
    if (op)
      run(op);
    else
      answer_questions();
  }
}

void MpiCommunicator::Impl::run(const std::shared_ptr<Op>& op) {
  current_seq = op->seq;
  current_name = op->name;
  running = true;
  std::exception_ptr error;
  bool pending = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!broken.empty()) {
      error = std::make_exception_ptr(
          comm_error(op->name + " cannot run: an earlier collective failed (" + broken + ")",
                     "the job must be restarted (resume from the last checkpoint)"));
    }
  }
  if (!error) {
    try {
      const auto start = Clock::now();
      const double limit = timeout_s.load();
      MPI_Request req = MPI_REQUEST_NULL;
      while (op->next(&req)) {
        pending = true;
        // Poll: spin briefly (most collectives finish fast), then back off so that this thread
        // does not take a core from the computation it overlaps with.
        int spins = 0;
        auto pause = std::chrono::microseconds(10);
        for (;;) {
          int flag = 0;
          if (int rc = MPI_Test(&req, &flag, MPI_STATUS_IGNORE); rc != MPI_SUCCESS) {
            // A peer's connection broke (a killed rank, a lost node): say which ranks are gone.
            throw comm_error(diagnose(*op, seconds_since(start), mpi_error_text(rc)),
                             "a rank died or its node left the network; see the logs of the "
                             "ranks named (<run_dir>/logs/rank-N.log) and resume from the last "
                             "checkpoint");
          }
          if (flag) break;
          answer_questions();
          if (abort_code.load() >= 0) abort_now(abort_code.load());
          double waited = seconds_since(start);
          if (waited > limit) {
            throw comm_error(diagnose(*op, waited),
                             "see the logs of the ranks named (<run_dir>/logs/rank-N.log); if a "
                             "rank legitimately needs longer between collectives (a large "
                             "corpus prepared by rank 0, a slow checkpoint disk), raise "
                             "runtime.comm_timeout_s or run 'berth prep' beforehand");
          }
          if (++spins < 50) {
            std::this_thread::yield();
          } else {
            std::this_thread::sleep_for(pause);
            pause = std::min(pause * 2, std::chrono::microseconds(200));
          }
        }
        pending = false;
      }
    } catch (const Error& e) {
      error = std::current_exception();
      std::lock_guard<std::mutex> lock(mu);
      if (broken.empty()) broken = e.message();
    } catch (const std::exception& e) {
      error = std::make_exception_ptr(comm_error(op->name + " failed: " + e.what(), ""));
      std::lock_guard<std::mutex> lock(mu);
      if (broken.empty()) broken = op->name + " failed: " + e.what();
    }
  }
  if (pending) failed.push_back(op);
  running = false;
  last_done = Clock::now();
  {
    std::lock_guard<std::mutex> lock(op->mu);
    op->done = true;
    op->error = error;
  }
  op->cv.notify_all();
}

void MpiCommunicator::Impl::answer_questions() {
  for (;;) {
    int flag = 0;
    MPI_Status st;
    if (MPI_Iprobe(MPI_ANY_SOURCE, kTagAsk, ctl, &flag, &st) != MPI_SUCCESS || !flag) break;
    int64_t their_seq = 0;
    if (MPI_Recv(&their_seq, 1, MPI_INT64_T, st.MPI_SOURCE, kTagAsk, ctl, MPI_STATUS_IGNORE) !=
        MPI_SUCCESS)
      break;
    auto w = std::make_unique<Whereabouts>();
    w->seq = current_seq;
    w->running = running ? 1 : 0;
    w->idle_s = running ? 0 : seconds_since(last_done);
    std::strncpy(w->name, current_name.c_str(), sizeof w->name - 1);
    // The asking rank logs the verdict; this line tells this rank's own log what happened.
    log->warn(
        "rank {} timed out in collective #{} and asked where this rank is: {} collective "
        "{}",
        st.MPI_SOURCE, their_seq, running ? "inside" : "past", seq_name(current_seq, current_name));
    MPI_Request req = MPI_REQUEST_NULL;
    if (MPI_Isend(w.get(), sizeof(Whereabouts), MPI_BYTE, st.MPI_SOURCE, kTagAnswer, ctl, &req) ==
        MPI_SUCCESS)
      answers.emplace_back(std::move(w), req);
  }
  for (auto it = answers.begin(); it != answers.end();) {
    int done = 0;
    MPI_Test(&it->second, &done, MPI_STATUS_IGNORE);
    it = done ? answers.erase(it) : std::next(it);
  }
}

std::string MpiCommunicator::Impl::diagnose(const Op& op, double waited,
                                            const std::string& failure) {
  // Ask every other rank where it is; a rank that is alive answers from its communication thread
  // even when its main thread is busy or hung. Give them a short grace period.
  // The question outlives this call: a send to a stopped rank may never complete.
  auto& asked = questions.emplace_back(world, op.seq);
  std::vector<MPI_Request> sends;
  for (int r = 0; r < world; ++r) {
    if (r == rank) continue;
    MPI_Request req = MPI_REQUEST_NULL;
    if (MPI_Isend(&asked[r], 1, MPI_INT64_T, r, kTagAsk, ctl, &req) == MPI_SUCCESS)
      sends.push_back(req);
  }
  std::map<int, Whereabouts> got;
  const double grace = std::clamp(timeout_s.load() * 0.25, 0.5, 5.0);
  const auto start = Clock::now();
  while (static_cast<int>(got.size()) + 1 < world && seconds_since(start) < grace) {
    int flag = 0;
    MPI_Status st;
    if (MPI_Iprobe(MPI_ANY_SOURCE, kTagAnswer, ctl, &flag, &st) == MPI_SUCCESS && flag) {
      Whereabouts w;
      if (MPI_Recv(&w, sizeof w, MPI_BYTE, st.MPI_SOURCE, kTagAnswer, ctl, MPI_STATUS_IGNORE) ==
          MPI_SUCCESS)
        got[st.MPI_SOURCE] = w;
      continue;
    }
    answer_questions();  // others may be asking us at the same time
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (auto& req : sends) {
    int done = 0;
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (!done) MPI_Request_free(&req);  // a stopped rank never receives it; let MPI drop it
  }

  std::vector<std::string> silent, behind, waiting, other;
  std::vector<int> culprits;
  auto on_host = [&](int r) { return std::to_string(r) + " on " + hosts[r]; };
  for (int r = 0; r < world; ++r) {
    if (r == rank) continue;
    auto it = got.find(r);
    if (it == got.end()) {
      silent.push_back(on_host(r));
      culprits.push_back(r);
      continue;
    }
    const Whereabouts& w = it->second;
    std::string where = seq_name(w.seq, std::string(w.name, strnlen(w.name, sizeof w.name)));
    if (w.seq < op.seq) {
      char idle[32];
      std::snprintf(idle, sizeof idle, "%.1f", w.idle_s);
      behind.push_back("rank " + on_host(r) + " (" +
                       (w.running ? "still inside collective " + where
                                  : "last collective " + where + " finished " + idle + " s ago") +
                       ")");
      culprits.push_back(r);
    } else if (w.seq == op.seq && w.running && where == seq_name(op.seq, op.name)) {
      waiting.push_back(std::to_string(r));
    } else {
      other.push_back("rank " + on_host(r) + " is at collective " + where +
                      (w.running ? "" : " (finished)") +
                      (w.seq == op.seq ? ": mismatched collectives, a bug" : ""));
      culprits.push_back(r);
    }
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", waited);
  std::string msg =
      op.name + " (collective #" + std::to_string(op.seq) +
      (op.detail.empty() ? "" : ", " + op.detail) + ") " +
      (failure.empty() ? "did not complete within " + std::string(secs) + " s"
                       : "failed after " + std::string(secs) + " s (" + failure + ")") +
      " on rank " + on_host(rank) + " of " + std::to_string(world);
  if (!culprits.empty()) {
    msg += "; rank(s) not taking part:";
    for (int r : culprits) msg += " " + on_host(r);
  }
  auto join = [](const std::vector<std::string>& v, const char* sep) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
  };
  if (!silent.empty())
    msg += ". Not answering (stopped, killed, or frozen): rank " + join(silent, ", ");
  if (!behind.empty())
    msg +=
        ". Alive but not at this collective (busy or hung in computation): " + join(behind, ", ");
  if (!other.empty()) msg += ". " + join(other, "; ");
  if (!waiting.empty()) msg += ". Waiting in it like this rank: rank " + join(waiting, ", ");
  log->error("{}", msg);
  return msg;
}

// ---------------------------------------------------------------------------------------------

MpiCommunicator::MpiCommunicator(double timeout_s) : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  s.timeout_s = timeout_s;
  int initialised = 0, provided = 0;
  MPI_Initialized(&initialised);
  if (initialised) {
    MPI_Query_thread(&provided);
  } else {
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
      throw comm_error("MPI_Init_thread failed", "check the MPI installation and the launcher");
    }
    s.owns_mpi = true;
  }
  if (provided < MPI_THREAD_SERIALIZED) {
    throw comm_error("the MPI library provides thread level " + std::to_string(provided) +
                         ", Berth's communication thread needs MPI_THREAD_SERIALIZED",
                     "use an MPI built with thread support (Open MPI, MPICH and Intel MPI are)");
  }
  check(MPI_Comm_dup(MPI_COMM_WORLD, &s.coll), "MPI_Comm_dup");
  check(MPI_Comm_dup(MPI_COMM_WORLD, &s.ctl), "MPI_Comm_dup");
  // Errors come back as codes, so that they become berth::Errors naming the operation.
  MPI_Comm_set_errhandler(s.coll, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(s.ctl, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &s.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &s.world);

  // The node-local communicator gives the local size (and the local rank when the launcher
  // does not say); the launcher's local rank is preferred as GPU mappings are written for it.
  MPI_Comm node = MPI_COMM_NULL;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, s.rank, MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
  int node_rank = 0;
  MPI_Comm_rank(node, &node_rank);
  MPI_Comm_size(node, &s.local_size);
  MPI_Comm_free(&node);
  auto launcher = local_rank_from_env([](const char* name) { return std::getenv(name); });
  s.local_rank = launcher.local_rank >= 0 ? launcher.local_rank : node_rank;
  s.local_rank_from = launcher.local_rank >= 0 ? launcher.variable : "MPI_COMM_TYPE_SHARED";

  // Host names, so that an error about another rank can say where it ran (a lost node).
  constexpr int kHostLen = 64;
  std::vector<char> names(static_cast<size_t>(kHostLen) * s.world, '\0');
  std::string me = this_host();
  std::vector<char> mine(kHostLen, '\0');
  std::memcpy(mine.data(), me.data(), std::min<size_t>(me.size(), kHostLen - 1));
  check(MPI_Allgather(mine.data(), kHostLen, MPI_CHAR, names.data(), kHostLen, MPI_CHAR,
                      MPI_COMM_WORLD),
        "MPI_Allgather");
  for (int r = 0; r < s.world; ++r) s.hosts.emplace_back(names.data() + r * kHostLen);
  set_placement({s.rank, s.world, s.local_rank, s.local_size, s.hosts});

  s.thread = std::thread([&s] { s.loop(); });
  s.log->debug("MPI rank {} of {} on {} (local {} of {}, from {}), communication thread started",
               s.rank, s.world, me, s.local_rank, s.local_size, s.local_rank_from);
}

MpiCommunicator::~MpiCommunicator() {
  auto& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.stopping = true;
  }
  s.cv.notify_all();
  if (s.thread.joinable()) s.thread.join();
  std::string broken;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    broken = s.broken;
  }
  if (!broken.empty() && s.world > 1) {
    // Other ranks may never reach MPI_Finalize: end the job instead of waiting in it.
    s.log->error("aborting the MPI job: {}", broken);
    s.abort_now(static_cast<int>(ExitCode::kDistributed));
  }
  if (std::uncaught_exceptions() > 0 && s.world > 1) {
    s.log->error(
        "an error is ending this rank; aborting the MPI job so that the other ranks do "
        "not wait for it");
    s.abort_now(static_cast<int>(ExitCode::kDistributed));
  }
  // Answers still in flight to ranks that are finishing too.
  auto until = Clock::now() + std::chrono::seconds(2);
  while (!s.answers.empty() && Clock::now() < until) s.answer_questions();
  MPI_Comm_free(&s.ctl);
  MPI_Comm_free(&s.coll);
  if (s.owns_mpi) MPI_Finalize();
}

void MpiCommunicator::set_timeout(double seconds) {
  impl_->timeout_s = seconds;
}
double MpiCommunicator::timeout() const {
  return impl_->timeout_s.load();
}

void MpiCommunicator::abort_job(int code) {
  auto& s = *impl_;
  if (s.thread.joinable()) {
    // MPI calls belong to the communication thread (MPI_THREAD_SERIALIZED): ask it to abort.
    s.abort_code = code;
    s.cv.notify_all();
    std::this_thread::sleep_for(std::chrono::seconds(30));
  }
  s.abort_now(code);
}

std::unique_ptr<CommWork> MpiCommunicator::all_reduce_sum(at::Tensor& t) {
  MPI_Datatype type = sum_type(t.scalar_type());
  if (!t.device().is_cpu() || !t.is_contiguous() || type == MPI_DATATYPE_NULL) {
    throw Error("comm",
                "all_reduce_sum over MPI needs a contiguous CPU tensor of float, double, int32 or "
                "int64; got " +
                    describe(t) + " on " + t.device().str() +
                    (t.is_contiguous() ? "" : " (not contiguous)"),
                "this is a bug in the caller: reduce CUDA tensors through the NCCL communicator");
  }
  const int64_t n = t.numel();
  const size_t elem = t.element_size();
  MPI_Comm comm = impl_->coll;
  auto op = impl_->post("all_reduce_sum", describe(t),
                        [t, n, elem, type, comm, offset = int64_t(0)](MPI_Request* req) mutable {
                          if (offset >= n) return false;
                          int count = static_cast<int>(std::min(n - offset, kMaxChunk));
                          char* p = static_cast<char*>(t.data_ptr()) + offset * elem;
                          check(MPI_Iallreduce(MPI_IN_PLACE, p, count, type, MPI_SUM, comm, req),
                                "MPI_Iallreduce");
                          offset += count;
                          return true;
                        });
  return std::make_unique<MpiWork>(impl_.get(), std::move(op));
}

void MpiCommunicator::broadcast(at::Tensor& t, int root) {
  if (!t.device().is_cpu()) {
    throw Error("comm", "broadcast over MPI needs a CPU tensor, got one on " + t.device().str(),
                "this is a bug in the caller: use the NCCL communicator for CUDA tensors");
  }
  // Bytes are bytes: any dtype broadcasts. A non-contiguous tensor goes through a copy.
  at::Tensor buf = t.is_contiguous() ? t : t.contiguous();
  const int64_t n = buf.numel() * static_cast<int64_t>(buf.element_size());
  MPI_Comm comm = impl_->coll;
  auto op = impl_->post("broadcast", describe(t) + " from rank " + std::to_string(root),
                        [buf, n, root, comm, offset = int64_t(0)](MPI_Request* req) mutable {
                          if (offset >= n) return false;
                          int count = static_cast<int>(std::min(n - offset, kMaxChunk));
                          check(MPI_Ibcast(static_cast<char*>(buf.data_ptr()) + offset, count,
                                           MPI_BYTE, root, comm, req),
                                "MPI_Ibcast");
                          offset += count;
                          return true;
                        });
  impl_->wait(*op);
  if (!buf.is_same(t)) t.copy_(buf);
}

void MpiCommunicator::broadcast_string(std::string& s, int root) {
  // Two phases (length, then bytes); the string is the caller's, which waits for the op.
  auto len = std::make_shared<int64_t>(static_cast<int64_t>(s.size()));
  const bool is_root = impl_->rank == root;
  MPI_Comm comm = impl_->coll;
  auto op = impl_->post(
      "broadcast_string", "from rank " + std::to_string(root),
      [&s, len, is_root, root, comm, phase = 0, offset = int64_t(0)](MPI_Request* req) mutable {
        if (phase == 0) {
          phase = 1;
          check(MPI_Ibcast(len.get(), 1, MPI_INT64_T, root, comm, req), "MPI_Ibcast");
          return true;
        }
        if (phase == 1) {
          phase = 2;
          if (!is_root) s.resize(static_cast<size_t>(*len));
        }
        if (offset >= *len) return false;
        int count = static_cast<int>(std::min(*len - offset, kMaxChunk));
        check(MPI_Ibcast(s.data() + offset, count, MPI_BYTE, root, comm, req), "MPI_Ibcast");
        offset += count;
        return true;
      });
  impl_->wait(*op);
}

void MpiCommunicator::barrier() {
  MPI_Comm comm = impl_->coll;
  auto op = impl_->post("barrier", "", [comm, started = false](MPI_Request* req) mutable {
    if (started) return false;
    started = true;
    check(MPI_Ibarrier(comm, req), "MPI_Ibarrier");
    return true;
  });
  impl_->wait(*op);
}

bool MpiCommunicator::any(bool flag) {
  auto value = std::make_shared<int>(flag ? 1 : 0);
  MPI_Comm comm = impl_->coll;
  auto op = impl_->post("any", "", [value, comm, started = false](MPI_Request* req) mutable {
    if (started) return false;
    started = true;
    check(MPI_Iallreduce(MPI_IN_PLACE, value.get(), 1, MPI_INT, MPI_LOR, comm, req),
          "MPI_Iallreduce");
    return true;
  });
  impl_->wait(*op);
  return *value != 0;
}

}  // namespace berth::distributed
