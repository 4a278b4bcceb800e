// The server over real sockets: in process on an ephemeral port (httplib::Client), and the
// `calcscope serve` binary stopped with SIGTERM.
#include <gtest/gtest.h>

#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <regex>
#include <thread>

#include "../io/io_test_util.h"
#include "server_fixtures.h"

extern char** environ;

namespace calcscope {
namespace {

using json = nlohmann::json;

bool wait_for(const std::function<bool()>& ready, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ready();
}

TEST(ServerHttp, InProcessServerOnAnEphemeralPort) {
  const auto& ph = test::ServerPhantom::get();
  std::mutex m;
  std::vector<std::string> log;
  server::ServerOptions o;
  o.port = 0;
  o.threads = 2;
  o.max_upload_bytes = 4 * 1024 * 1024;
  o.log = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(m);
    log.push_back(line);
  };
  server::HttpServer srv(o);
  const int port = srv.bind();
  ASSERT_GT(port, 0);
  std::thread serving([&] { srv.listen(); });
  ASSERT_TRUE(wait_for([&] { return srv.is_running(); }, 10));

  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(60, 0);

  auto health = cli.Get("/health");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");

  // curl --data-binary sends this content type: the body must not be taken for a form
  auto res = cli.Post("/analyze?name=phantom.dcm", ph.dicom(), "application/x-www-form-urlencoded");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  const json got = json::parse(res->body);
  const json want = test::library_json(ph.dicom(), "phantom.dcm");
  EXPECT_EQ(test::without_timings(got), test::without_timings(want));

  auto missing = cli.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["error"]["code"], "file_not_found");

  auto wrong = cli.Get("/analyze");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->get_header_value("Allow"), "POST");

  auto text = cli.Post("/analyze?name=notes.txt", "just text", "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 415);
  const json err = json::parse(text->body);
  EXPECT_EQ(err["error"]["code"], "unsupported_format");
  EXPECT_EQ(err["error"]["exit_code"], 5);
  EXPECT_TRUE(test::contains(err["error"]["message"].get<std::string>(), "notes.txt"));

  auto png = cli.Post("/analyze", ph.png(), "image/png");
  ASSERT_TRUE(png);
  EXPECT_EQ(png->status, 422);
  EXPECT_EQ(json::parse(png->body)["error"]["code"], "missing_pixel_size");

  // over the limit: refused by httplib from Content-Length, with our JSON body
  auto big = cli.Post("/analyze", std::string(5 * 1024 * 1024, 'x'), "application/octet-stream");
  ASSERT_TRUE(big) << httplib::to_string(big.error());
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(json::parse(big->body)["error"]["code"], "usage");

  // the server is still serving after all that
  httplib::Client again("127.0.0.1", port);
  auto h2 = again.Get("/health");
  ASSERT_TRUE(h2);
  EXPECT_EQ(h2->status, 200);

  srv.stop();
  serving.join();
  EXPECT_FALSE(srv.is_running());

  std::lock_guard<std::mutex> lock(m);
  const std::string all = test::joined_lines(log);
  EXPECT_TRUE(std::regex_search(all, std::regex("GET /health 200 \\d+ ms"))) << all;
  EXPECT_TRUE(std::regex_search(all, std::regex("POST /analyze 200 \\d+ ms"))) << all;
  EXPECT_TRUE(std::regex_search(all, std::regex("GET /nope 404 \\d+ ms .*\\[file_not_found\\]"))) << all;
  EXPECT_TRUE(test::contains(all, "POST /analyze 413")) << all;
}

TEST(ServerHttp, BindFailureIsAUsageError) {
  server::ServerOptions o;
  o.port = 0;
  o.log = [](const std::string&) {};
  server::HttpServer first(o);
  const int port = first.bind();
  server::ServerOptions again = o;
  again.port = port;
  server::HttpServer second(again);
  try {
    second.bind();
    ADD_FAILURE() << "binding a port in use should fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Usage);
    EXPECT_TRUE(test::contains(e.message(), "--port")) << e.message();
  }
}

TEST(ServerHttp, CliServeStopsCleanlyOnSigterm) {
  test::TempDir dir("calcscope-server-cli");
  const std::string log_path = (dir / "serve.log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args = {CALCSCOPE_CLI, "serve", "--port", "0", "--threads", "1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, CALCSCOPE_CLI, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);

  std::smatch match;
  std::string text;
  const std::regex listening("listening on http://127\\.0\\.0\\.1:(\\d+)");
  const bool up = wait_for(
      [&] {
        text = test::slurp(log_path);
        return std::regex_search(text, match, listening);
      },
      20);
  if (!up) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    FAIL() << "calcscope serve did not start:\n" << text;
  }
  const int port = std::stoi(match[1].str());
  httplib::Client cli("127.0.0.1", port);
  auto health = cli.Get("/health");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_TRUE(wait_for([&] { return waitpid(pid, &status, WNOHANG) == pid; }, 20)) << "did not stop on SIGTERM";
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal instead of exiting";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  text = test::slurp(log_path);
  EXPECT_TRUE(test::contains(text, "GET /health 200")) << text;
  EXPECT_TRUE(test::contains(text, "SIGTERM")) << text;
  EXPECT_TRUE(test::contains(text, "calcscope serve: stopped")) << text;
}

}  // namespace
}  // namespace calcscope
