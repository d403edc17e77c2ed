// LocalProcessBackend: fork a monitor (its own session) that forks the job (its own process group), waits
// for it and writes the exit status; the agent watches monitors through pidfds, and the runs' pid files
// through inotify, in one epoll loop.
#include "backends/LocalProcessBackend.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace launch::backends {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kRefPrefix = "local/";

std::string readSmallFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool writeFileAtomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) return false;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  return !ec;
}

// The job's pid from "pid <n>", or 0 while it has not been written.
int readJobPid(const fs::path& dir) {
  std::istringstream text(readSmallFile(dir / "pid"));
  std::string word;
  int pid = 0;
  text >> word >> pid;
  return word == "pid" ? pid : 0;
}

int openPidfd(int pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Writes "<word> <number>\n" with async-signal-safe calls only (used between fork and exit).
void writeStatus(const char* tmpPath, const char* path, const char* word, int number) {
  char buffer[64];
  size_t n = 0;
  for (const char* p = word; *p != '\0' && n < 32; ++p) buffer[n++] = *p;
  buffer[n++] = ' ';
  char digits[16];
  size_t d = 0;
  unsigned value = number < 0 ? 0U : static_cast<unsigned>(number);
  do {
    digits[d++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && d < sizeof(digits));
  while (d > 0) buffer[n++] = digits[--d];
  buffer[n++] = '\n';
  const int fd = ::open(tmpPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)!::write(fd, buffer, n);
  ::close(fd);
  ::rename(tmpPath, path);
}

// Finds a program on PATH as execvp would, before fork (execve needs a path).
std::string resolveProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

const char* signalName(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGKILL:
      return "SIGKILL";
    case SIGINT:
      return "SIGINT";
    case SIGSEGV:
      return "SIGSEGV";
    case SIGABRT:
      return "SIGABRT";
    default:
      return "a signal";
  }
}

}  // namespace

LocalProcessBackend::LocalProcessBackend(LocalProcessBackendOptions options) : options_(std::move(options)) {}

LocalProcessBackend::~LocalProcessBackend() { stop(); }

fs::path LocalProcessBackend::runDir(const std::string& backendRef) const {
  if (backendRef.rfind(kRefPrefix, 0) != 0) return {};
  const std::string run = backendRef.substr(kRefPrefix.size());
  if (run.empty() || run.find('/') != std::string::npos || run.find("..") != std::string::npos) return {};
  return options_.stateDir / run;
}

Status LocalProcessBackend::start(const RunChanged& changed) {
  std::error_code ec;
  fs::create_directories(options_.stateDir, ec);
  if (ec) {
    return makeError(ErrorCode::Unavailable, "local-process state directory " + options_.stateDir.string() +
                                                 " cannot be created: " + ec.message());
  }
  changed_ = changed;
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  inotify_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (epoll_ < 0 || wakeFd_ < 0 || inotify_ < 0)
    return makeError(ErrorCode::Internal, "epoll/eventfd/inotify: " + std::string(strerror(errno)));
  for (const int fd : {wakeFd_, inotify_}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
  }
  stopping_ = false;
  watcher_ = std::thread([this] { watch(); });
  return {};
}

void LocalProcessBackend::stop() {
  stopping_ = true;
  if (wakeFd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(wakeFd_, &one, sizeof(one));
  }
  if (watcher_.joinable()) watcher_.join();
  const std::lock_guard lock(mutex_);
  for (auto& [run, w] : watched_) ::close(w.pidfd);
  watched_.clear();
  if (epoll_ >= 0) ::close(epoll_);
  if (wakeFd_ >= 0) ::close(wakeFd_);
  if (inotify_ >= 0) ::close(inotify_);  // drops every watch with it
  epoll_ = wakeFd_ = inotify_ = -1;
}

void LocalProcessBackend::track(const std::string& run, int monitorPid, const std::string& jobKey) {
  if (watched_.count(run) != 0 || epoll_ < 0) return;
  const int pidfd = openPidfd(monitorPid);
  if (pidfd < 0) return;  // already gone: observe reads its exit file
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = pidfd;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, pidfd, &event);
  // The start is a change too: the monitor renames pid.tmp to pid once the job's process exists. The watch is
  // in place before any later observe reads the directory, so a start between the two is never missed.
  // A start that came before the watch is reported too (through the watcher thread, as every change is).
  const fs::path dir = options_.stateDir / run;
  int startWatch = ::inotify_add_watch(inotify_, dir.c_str(), IN_MOVED_TO | IN_ONLYDIR);
  if (startWatch >= 0 && fs::exists(dir / "pid")) {
    ::inotify_rm_watch(inotify_, startWatch);
    startWatch = -1;
    startedEarly_.push_back(jobKey);
    const uint64_t one = 1;
    (void)!::write(wakeFd_, &one, sizeof(one));
  }
  watched_[run] = Watched{pidfd, startWatch, jobKey, monitorPid};
}

void LocalProcessBackend::handleStartEvents(std::vector<std::string>& changed) {
  alignas(inotify_event) char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(inotify_, buffer, sizeof(buffer));
    if (n <= 0) return;
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->len == 0 || std::string_view(event->name) != "pid") continue;
      for (auto& [run, w] : watched_) {
        if (w.startWatch != event->wd) continue;
        ::inotify_rm_watch(inotify_, w.startWatch);
        w.startWatch = -1;
        changed.push_back(w.jobKey);
        break;
      }
    }
  }
}

void LocalProcessBackend::watch() {
  std::vector<epoll_event> events(64);
  while (!stopping_) {
    int timeoutMs = -1;
    {
      const std::lock_guard lock(mutex_);
      const auto now = std::chrono::steady_clock::now();
      for (auto it = kills_.begin(); it != kills_.end();) {
        if (it->first <= now) {
          ::kill(-it->second, SIGKILL);
          it = kills_.erase(it);
        } else {
          const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(it->first - now).count() + 1;
          timeoutMs = timeoutMs < 0 ? static_cast<int>(wait) : std::min(timeoutMs, static_cast<int>(wait));
          ++it;
        }
      }
    }
    const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeoutMs);
    std::vector<std::string> changed;  // job keys whose run started or ended
    {
      const std::lock_guard lock(mutex_);
      for (int i = 0; i < n; ++i) {
        const int fd = events[static_cast<size_t>(i)].data.fd;
        if (fd == wakeFd_) {
          uint64_t count = 0;
          (void)!::read(wakeFd_, &count, sizeof(count));
          changed.insert(changed.end(), startedEarly_.begin(), startedEarly_.end());
          startedEarly_.clear();
          continue;
        }
        if (fd == inotify_) {
          handleStartEvents(changed);
          continue;
        }
        for (auto it = watched_.begin(); it != watched_.end(); ++it) {
          if (it->second.pidfd != fd) continue;
          ::waitpid(it->second.monitorPid, nullptr, WNOHANG);  // reap it when it is our child
          ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
          ::close(fd);
          if (it->second.startWatch >= 0) ::inotify_rm_watch(inotify_, it->second.startWatch);
          changed.push_back(it->second.jobKey);
          watched_.erase(it);
          break;
        }
      }
    }
    for (const auto& key : changed) {
      if (changed_ && !key.empty()) changed_(key);
    }
  }
}

Result<std::string> LocalProcessBackend::submit(const RunSpec& spec) {
  const api::LaunchJob& job = spec.job;
  if (std::holds_alternative<api::ImageSource>(job.spec.source)) {
    return makeError(ErrorCode::Invalid,
                     "spec.source.image: a local-process queue runs the job's entry point from its git or archive "
                     "source on the agent's machine and cannot run an image; use a docker or kubernetes queue");
  }
  if (job.spec.entryPoint.empty()) {
    return makeError(ErrorCode::Invalid, "spec.entryPoint: a local-process job needs the command to run");
  }
  const std::string run = runName(job);
  const fs::path dir = options_.stateDir / run;
  std::string ref(kRefPrefix);
  ref += run;
  const std::string jobKey = job.metadata.namespace_ + "/" + job.metadata.name;
  if (fs::exists(dir / "monitor")) {
    // Started by an earlier attempt: adopt it.
    const std::lock_guard lock(mutex_);
    track(run, std::atoi(readSmallFile(dir / "monitor").c_str()), jobKey);
    return ref;
  }
  const std::string program = resolveProgram(job.spec.entryPoint.front());
  if (program.empty()) {
    return makeError(ErrorCode::Invalid, "spec.entryPoint[0]: '" + job.spec.entryPoint.front() +
                                             "' is not an executable on the agent's PATH");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return makeError(ErrorCode::Unavailable, "cannot create " + dir.string() + ": " + ec.message());
  if (!writeFileAtomically(dir / "job", jobKey)) {
    return makeError(ErrorCode::Unavailable, "cannot write to " + dir.string());
  }

  // Everything the children need, made before fork: after it only async-signal-safe calls are allowed.
  std::vector<std::string> argvStrings{program};
  argvStrings.insert(argvStrings.end(), job.spec.entryPoint.begin() + 1, job.spec.entryPoint.end());
  argvStrings.insert(argvStrings.end(), job.spec.args.begin(), job.spec.args.end());
  std::vector<std::string> envStrings;
  for (const auto& name : options_.passEnvironment) {
    const bool overridden =
        std::any_of(job.spec.env.begin(), job.spec.env.end(), [&](const api::EnvVar& e) { return e.name == name; });
    if (const char* value = std::getenv(name.c_str()); value != nullptr && !overridden) {
      envStrings.push_back(name + "=" + value);
    }
  }
  for (const auto& e : job.spec.env) envStrings.push_back(e.name + "=" + e.value);
  envStrings.push_back("LAUNCH_JOB=" + jobKey);
  std::vector<char*> argv;
  argv.reserve(argvStrings.size() + 1);
  for (auto& a : argvStrings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(envStrings.size() + 1);
  for (auto& e : envStrings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string workDir = spec.sourceDir.empty() ? dir.string() : std::string(spec.sourceDir);
  const std::string logPath = (dir / "log").string();
  const std::string pidTmp = (dir / "pid.tmp").string();
  const std::string pidPath = (dir / "pid").string();
  const std::string exitTmp = (dir / "exit.tmp").string();
  const std::string exitPath = (dir / "exit").string();

  const pid_t monitor = ::fork();
  if (monitor < 0) return makeError(ErrorCode::Unavailable, "fork: " + std::string(strerror(errno)));
  if (monitor == 0) {
    // The monitor: its own session, deaf to the signals meant for the job, holding none of the agent's fds.
    ::setsid();
    ::close_range(3, ~0U, 0);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    for (const int s : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) ::sigaction(s, &ignore, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const pid_t child = ::fork();
    if (child < 0) {
      writeStatus(exitTmp.c_str(), exitPath.c_str(), "forkfailed", errno);
      ::_exit(1);
    }
    if (child == 0) {
      ::setpgid(0, 0);
      struct sigaction reset {};
      reset.sa_handler = SIG_DFL;
      for (const int s : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) ::sigaction(s, &reset, nullptr);
      const int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      const int devnull = ::open("/dev/null", O_RDONLY);
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      if (devnull >= 0) ::dup2(devnull, 0);
      ::close_range(3, ~0U, 0);
      if (::chdir(workDir.c_str()) != 0) {
        constexpr char kMessage[] = "launch: cannot enter the working directory\n";
        (void)!::write(2, kMessage, sizeof(kMessage) - 1);
        ::_exit(126);
      }
      ::execve(argv[0], argv.data(), envp.data());
      constexpr char kMessage[] = "launch: cannot execute the entry point\n";
      (void)!::write(2, kMessage, sizeof(kMessage) - 1);
      ::_exit(127);
    }
    writeStatus(pidTmp.c_str(), pidPath.c_str(), "pid", child);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
      writeStatus(exitTmp.c_str(), exitPath.c_str(), "signaled", WTERMSIG(status));
    } else {
      writeStatus(exitTmp.c_str(), exitPath.c_str(), "exited", WEXITSTATUS(status));
    }
    ::_exit(0);
  }
  (void)writeFileAtomically(dir / "monitor", std::to_string(monitor));
  const std::lock_guard lock(mutex_);
  track(run, monitor, jobKey);
  return ref;
}

Result<std::optional<std::string>> LocalProcessBackend::findRun(const api::LaunchJob& job) {
  const std::string run = runName(job);
  if (!fs::exists(options_.stateDir / run / "monitor")) return std::optional<std::string>();
  return std::optional<std::string>(std::string(kRefPrefix) + run);
}

Result<RunObservation> LocalProcessBackend::observe(const std::string& backendRef) {
  const fs::path dir = runDir(backendRef);
  if (dir.empty()) return makeError(ErrorCode::Invalid, "'" + backendRef + "' is not a local run reference");
  RunObservation seen;
  if (!fs::exists(dir / "monitor")) return seen;
  seen.exists = true;
  const bool cancelled = fs::exists(dir / "cancelled");
  if (fs::exists(dir / "exit")) {
    std::istringstream status(readSmallFile(dir / "exit"));
    std::string word;
    int number = -1;
    status >> word >> number;
    seen.started = true;
    if (word == "exited") {
      seen.exitCode = number;
      seen.finished = number == 0 ? api::JobPhase::Succeeded : api::JobPhase::Failed;
      seen.reason = number == 0 ? "Completed" : "Error";
      seen.message = "the process exited with code " + std::to_string(number);
    } else if (word == "signaled") {
      seen.finished = api::JobPhase::Failed;
      seen.reason = cancelled ? "Cancelled" : "Signaled";
      seen.message =
          std::string("the process was killed by ") + signalName(number) + " (" + std::to_string(number) + ")";
    } else {
      seen.finished = api::JobPhase::Failed;
      seen.reason = "StartFailed";
      seen.message = "the process could not be started (fork failed)";
    }
    return seen;
  }
  const int monitor = std::atoi(readSmallFile(dir / "monitor").c_str());
  const std::string run = dir.filename().string();
  {
    const std::lock_guard lock(mutex_);
    if (watched_.count(run) == 0) {
      // Not watched: an agent restarted since it began. Watch it again, if it is still there.
      const int probe = monitor > 0 ? openPidfd(monitor) : -1;
      if (probe < 0) {
        if (fs::exists(dir / "exit")) return observe(backendRef);
        seen.finished = api::JobPhase::Failed;
        seen.reason = "Lost";
        seen.message = "the process's monitor ended without recording an exit status (was it killed?)";
        return seen;
      }
      ::close(probe);
      track(run, monitor, readSmallFile(dir / "job"));
    }
  }
  seen.started = fs::exists(dir / "pid");
  seen.reason = seen.started ? "Running" : "";
  seen.message = seen.started ? "the process is running" : "the process is starting";
  return seen;
}

Result<std::string> LocalProcessBackend::logs(const std::string& backendRef, std::size_t maxBytes) {
  const fs::path dir = runDir(backendRef);
  if (dir.empty()) return makeError(ErrorCode::Invalid, "'" + backendRef + "' is not a local run reference");
  std::ifstream in(dir / "log", std::ios::binary);
  if (!in) return std::string();
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  const std::size_t from = size > maxBytes ? size - maxBytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string text(size - from, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

Status LocalProcessBackend::cancel(const std::string& backendRef) {
  const fs::path dir = runDir(backendRef);
  if (dir.empty()) return makeError(ErrorCode::Invalid, "'" + backendRef + "' is not a local run reference");
  if (!fs::exists(dir / "monitor") || fs::exists(dir / "exit")) return {};
  (void)writeFileAtomically(dir / "cancelled", "cancelled\n");
  const int pid = readJobPid(dir);
  if (pid <= 0) return makeError(ErrorCode::Unavailable, "the process has not started yet; cancel again shortly");
  ::kill(-pid, SIGTERM);
  {
    const std::lock_guard lock(mutex_);
    kills_.emplace_back(std::chrono::steady_clock::now() + options_.stopGrace, pid);
  }
  if (wakeFd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(wakeFd_, &one, sizeof(one));
  }
  return {};
}

Status LocalProcessBackend::cleanup(const std::string& backendRef) {
  const fs::path dir = runDir(backendRef);
  if (dir.empty()) return makeError(ErrorCode::Invalid, "'" + backendRef + "' is not a local run reference");
  if (fs::exists(dir / "pid") && !fs::exists(dir / "exit")) {
    const int pid = readJobPid(dir);
    if (pid > 0) ::kill(-pid, SIGKILL);
  }
  std::error_code ec;
  // A monitor that is just writing the exit status of the killed job can add and rename files while the
  // directory is being removed: try again a few times.
  for (int attempt = 0; attempt < 5; ++attempt) {
    ec.clear();
    fs::remove_all(dir, ec);
    if (ec != std::errc::directory_not_empty && ec != std::errc::no_such_file_or_directory) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (ec && !fs::exists(dir)) ec.clear();
  if (ec) return makeError(ErrorCode::Unavailable, "cannot remove " + dir.string() + ": " + ec.message());
  return {};
}

}  // namespace launch::backends
