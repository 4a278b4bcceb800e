// Helpers of the DICOM network tests: free ports, phantom DICOM fixtures, waiting, child processes.
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "calcscope/io/image_writer.h"
#include "calcscope/phantom/phantom.h"
#include "test_support.h"

extern char** environ;

namespace calcscope::test {

/// A TCP port nothing listens on right now (bound to port 0 by the kernel, then released).
inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  close(fd);
  return port;
}

/// Is something accepting TCP connections on 127.0.0.1:port?
inline bool port_open(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

/// A small phantom mammogram (80 x 100 mm, 0.1 mm pixels, one cluster) written as a DICOM MG
/// For Presentation image by the project's phantom code. Returns the written path.
inline std::filesystem::path write_phantom_dicom(const std::filesystem::path& path,
                                                 DicomCompression compression = DicomCompression::None,
                                                 std::uint64_t seed = 11) {
  PhantomSpec spec;
  spec.width_mm = 80;
  spec.height_mm = 100;
  spec.pixel_size_mm = 0.1;
  spec.seed = seed;
  spec.clusters.push_back(parse_cluster_spec("morphology=punctate,count=10,contrast=2,diameter=0.4"));
  const Phantom ph = make_phantom(spec);
  DicomWriteOptions w;
  w.compression = compression;
  w.patient_id = "PHANTOM-NET-" + std::to_string(seed);
  write_dicom_mg(ph.image, path, w);
  return path;
}

/// Polls `done` every 50 ms for at most `seconds`.
inline bool wait_until(const std::function<bool()>& done, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

/// A child process started with posix_spawn, stdout + stderr to `log`. The destructor kills only
/// this child (SIGKILL) if it is still running.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Child() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      int st = 0;
      waitpid(pid_, &st, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }
  void signal(int sig) const {
    if (pid_ > 0 && !exited_) kill(pid_, sig);
  }
  /// Waits at most `seconds` for the child to exit; its exit code, or -1 (still running / killed by a signal).
  int wait(double seconds) {
    if (pid_ <= 0) return -1;
    int code = -1;
    wait_until(
        [&] {
          if (exited_) return true;
          int st = 0;
          if (waitpid(pid_, &st, WNOHANG) == pid_) {
            exited_ = true;
            status_ = st;
            return true;
          }
          return false;
        },
        seconds);
    if (exited_ && WIFEXITED(status_)) code = WEXITSTATUS(status_);
    return code;
  }
  bool exited() const { return exited_; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
};

}  // namespace calcscope::test
