// The network side of `calcscope serve`: handle_request() bound to cpp-httplib, request log,
// SIGINT/SIGTERM shutdown.
#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <thread>

#include "calcscope/server/server.h"

namespace calcscope::server {

namespace {

using Clock = std::chrono::steady_clock;

/// When the request being served on this thread began (httplib serves a connection on one thread).
struct RequestClock {
  const httplib::Request* request = nullptr;
  Clock::time_point start;
};
thread_local RequestClock t_clock;

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// For the log: a decoded path may hold control characters (a forged "%0a" would start a fake line).
std::string printable(const std::string& text) {
  std::string out = text.substr(0, 200);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

std::string error_name_of(const httplib::Response& res) {
  if (res.status < 400 || res.body.empty() || res.body.front() != '{') return {};
  const auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (j.is_discarded() || !j.contains("error") || !j["error"].is_object()) return {};
  return j["error"].value("code", std::string());
}

std::size_t content_length(const httplib::Request& req) {
  return static_cast<std::size_t>(req.get_header_value<std::uint64_t>("Content-Length"));
}

void fill(httplib::Response& res, const HttpResponse& out) {
  res.status = out.status;
  for (const auto& [k, v] : out.headers) res.set_header(k.c_str(), v);
  res.set_content(out.body, out.content_type.c_str());
}

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  httplib::Server svr;
  int port = -1;
  std::atomic<bool> stop_requested{false};
  std::mutex log_mutex;

  void log(const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mutex);
    if (options.log) {
      options.log(line);
    } else {
      std::cerr << (line + "\n");  // one write: lines of concurrent requests do not mix
      std::cerr.flush();
    }
  }

  HandlerOptions handler_options() const {
    HandlerOptions h;
    h.max_upload_bytes = options.max_upload_bytes;
    h.work_dir = options.work_dir;
    return h;
  }

  void serve(const httplib::Request& req, httplib::Response& res, std::string body) {
    HttpRequest r;
    r.method = req.method;
    r.path = req.path;
    const auto q = req.target.find('?');
    // the query of the URL only: httplib would also parse a form-encoded body into req.params
    if (q != std::string::npos) r.query = parse_query(std::string_view(req.target).substr(q + 1));
    r.body = std::move(body);
    fill(res, handle_request(r, handler_options()));
  }

  /// POST/PUT/PATCH/DELETE: the body is read here (never parsed as a form), up to the limit.
  void serve_with_body(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    std::string body;
    if (req.is_multipart_form_data()) {
      reader([](const httplib::MultipartFormData&) { return true; }, [](const char*, std::size_t) { return true; });
      fill(res, error_response(ErrorCode::UnsupportedFormat,
                               "a multipart form upload: send the image file's bytes as the request body instead "
                               "(curl --data-binary @FILE, not curl -F)"));
      return;
    }
    // HTTP/1.1: a request without Content-Length or chunked encoding has no body (httplib would wait
    // for the connection to close)
    const bool has_body = req.has_header("Content-Length") || req.has_header("Transfer-Encoding");
    if (has_body && !reader([&body](const char* data, std::size_t n) {
          body.append(data, n);
          return true;
        })) {
      // over the limit (httplib has set 413), or the client stopped sending
      fill(res, res.status == 413 ? protocol_error_response(413, options.max_upload_bytes, content_length(req))
                                  : error_response(ErrorCode::Unreadable,
                                                   "the upload ended before its announced length (connection "
                                                   "closed or too slow): send the file again"));
      return;
    }
    serve(req, res, std::move(body));
  }
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  Impl* d = impl_.get();
  auto& svr = d->svr;
  const int threads = d->options.threads > 0
                          ? d->options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  svr.set_payload_max_length(d->options.max_upload_bytes);
  // httplib's default sets SO_REUSEPORT, which lets a second server bind the same port and share its
  // connections silently; SO_REUSEADDR alone still allows a quick restart.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  svr.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    t_clock = {&req, Clock::now()};
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // A client announcing a too large body with "Expect: 100-continue" is told before it sends it.
  svr.set_expect_100_continue_handler([d](const httplib::Request& req, httplib::Response& res) {
    if (content_length(req) <= d->options.max_upload_bytes) return 100;
    res.status = 413;  // answered at once (the error handler writes the body); the client keeps its bytes
    return 413;
  });
  auto plain = [d](const httplib::Request& req, httplib::Response& res) { d->serve(req, res, {}); };
  auto with_body = [d](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    d->serve_with_body(req, res, reader);
  };
  svr.Get(".*", plain);
  svr.Options(".*", plain);
  svr.Post(".*", with_body);
  svr.Put(".*", with_body);
  svr.Patch(".*", with_body);
  svr.Delete(".*", with_body);
  // Statuses httplib sets itself (413 over the limit, 400 malformed, 414 ...) get our JSON body.
  svr.set_error_handler(httplib::Server::HandlerWithResponse([d](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const int status = res.status;
    static const char* const served[] = {"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"};
    const bool method_served = std::find(std::begin(served), std::end(served), req.method) != std::end(served);
    if (status == 400 && !req.method.empty() && !method_served) {
      // a method httplib has no handler for (TRACE, CONNECT): 404 or 405 as for any other
      HttpRequest r;
      r.method = req.method;
      r.path = req.path;
      fill(res, handle_request(r, d->handler_options()));
      return httplib::Server::HandlerResponse::Handled;
    }
    fill(res, protocol_error_response(status, d->options.max_upload_bytes, content_length(req)));
    res.status = status;
    return httplib::Server::HandlerResponse::Handled;
  }));
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    fill(res, error_response(ErrorCode::Internal, "internal error: " + what + " (a bug: please report it)"));
  });
  svr.set_logger([d](const httplib::Request& req, const httplib::Response& res) {
    char ms[32] = "-";
    if (t_clock.request == &req)
      std::snprintf(ms, sizeof ms, "%.0f",
                    std::chrono::duration<double, std::milli>(Clock::now() - t_clock.start).count());
    t_clock.request = nullptr;
    const std::string err = error_name_of(res);
    d->log("calcscope serve: " + utc_now() + " " + req.remote_addr + " " + printable(req.method) + " " +
           printable(req.path) + " " +
           std::to_string(res.status) + " " + ms + " ms " + std::to_string(res.body.size()) + " B" +
           (err.empty() ? "" : " [" + err + "]"));
  });
}

HttpServer::~HttpServer() {
  stop();
}

int HttpServer::bind() {
  auto& o = impl_->options;
  if (o.port < 0 || o.port > 65535)
    throw Error(ErrorCode::Usage, "--port must be 0 (any free port) to 65535, not " + std::to_string(o.port));
  int port = -1;
  if (o.port == 0) {
    port = impl_->svr.bind_to_any_port(o.host);
  } else if (impl_->svr.bind_to_port(o.host, o.port)) {
    port = o.port;
  }
  if (port <= 0)
    throw Error(ErrorCode::Usage, "cannot listen on " + o.host + ":" + std::to_string(o.port) +
                                      " (the port is in use, the host is not an address of this machine, or a "
                                      "port below 1024 needs root): choose another --port or --host");
  impl_->port = port;
  return port;
}

void HttpServer::listen() {
  if (impl_->port <= 0) bind();
  if (impl_->stop_requested) return;
  impl_->svr.listen_after_bind();
}

void HttpServer::stop() {
  impl_->stop_requested = true;
  impl_->svr.stop();
}

bool HttpServer::is_running() const { return impl_->svr.is_running(); }
int HttpServer::port() const { return impl_->port; }
const ServerOptions& HttpServer::options() const { return impl_->options; }

int run_server(const ServerOptions& options) {
  // SIGINT/SIGTERM are taken by one thread (sigwait) that stops the server; every other thread,
  // including httplib's workers created later, inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigset_t old_mask;
  pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
  struct RestoreMask {
    sigset_t mask;
    ~RestoreMask() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{old_mask};
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not end the process
  // OpenCV refuses rasters larger than the readers accept before decoding them (a small TIFF can
  // claim a huge size); the readers' own limit is 20000 pixels a side (ReadOptions::max_side_px).
  ::setenv("OPENCV_IO_MAX_IMAGE_WIDTH", "20000", 0);
  ::setenv("OPENCV_IO_MAX_IMAGE_HEIGHT", "20000", 0);
  ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", "400000000", 0);

  HttpServer server(options);
  const int port = server.bind();
  const int threads = options.threads > 0 ? options.threads
                                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
    else std::cerr << (line + "\n") << std::flush;
  };
  char limit[64];
  std::snprintf(limit, sizeof limit, "%.0f", static_cast<double>(options.max_upload_bytes) / (1024.0 * 1024.0));
  log("calcscope serve: listening on http://" + options.host + ":" + std::to_string(port) + " (" +
      std::to_string(threads) + " threads, uploads up to " + limit +
      " MB; GET /health, POST /analyze); stop with Ctrl-C or SIGTERM");

  std::atomic<bool> done{false};
  std::thread watcher([&] {
    int sig = 0;
    bool stopping = false;
    while (!done) {
      if (sigwait(&stop_signals, &sig) != 0) continue;
      if (done) break;
      const std::string name = sig == SIGINT ? "SIGINT" : "SIGTERM";
      if (stopping) {
        log("calcscope serve: " + name + ": already stopping, waiting for the requests in progress");
        continue;
      }
      stopping = true;
      log("calcscope serve: " + name + ": finishing the requests in progress, then stopping");
      // httplib's stop() does nothing before listen() has started: wait for that, then stop once
      while (!done) {
        const bool running = server.is_running();
        server.stop();
        if (running) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
  server.listen();
  done = true;
  pthread_kill(watcher.native_handle(), SIGTERM);  // wakes sigwait if no signal came
  watcher.join();
  log("calcscope serve: stopped");
  return 0;
}

}  // namespace calcscope::server
