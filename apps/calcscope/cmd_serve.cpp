// calcscope serve: the analysis over HTTP (thin wrapper over calcscope::server::run_server; docs/server.md).
#include <memory>
#include <string>

#include "calcscope/server/server.h"
#include "commands.h"

namespace calcscope::cli {

namespace {
struct ServeArgs {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 0;
  int max_upload_mb = static_cast<int>(server::kDefaultMaxUploadMb);
};
}  // namespace

void register_serve(CLI::App& app, Runner& run) {
  auto a = std::make_shared<ServeArgs>();
  auto* sub = app.add_subcommand(
      "serve", "HTTP server: GET /health, POST /analyze (image bytes in, analysis JSON or report out); docs/server.md");
  sub->add_option("--host", a->host, "address to listen on (0.0.0.0 = every interface; no TLS, no authentication)")
      ->capture_default_str();
  sub->add_option("--port", a->port, "TCP port (0 = any free port, printed at start)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  sub->add_option("--threads", a->threads,
                  "connections served at once, each possibly analysing an image (about 1 GB each for a 70 um "
                  "full-field image); 0 = one per core")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  sub->add_option("--max-upload-mb", a->max_upload_mb, "largest accepted request body in MB (larger: 413)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  sub->callback([a, &run] {
    run = [a] {
      server::ServerOptions o;
      o.host = a->host;
      o.port = a->port;
      o.threads = a->threads;
      o.max_upload_bytes = static_cast<std::size_t>(a->max_upload_mb) * 1024 * 1024;
      return server::run_server(o);
    };
  });
}

}  // namespace calcscope::cli
