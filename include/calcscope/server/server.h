// `calcscope serve`: the analysis as an HTTP service (docs/server.md).
//
// Two layers:
//  - handle_request(): a pure function from an HttpRequest (method, path, query, body) to an
//    HttpResponse. No sockets: the unit tests call it directly. POST /analyze stages the upload in
//    a private temporary directory and runs the very functions `calcscope analyze` runs
//    (read_image, apply_polarity, analyze, write_outputs), so the JSON and the reports are the CLI's.
//  - HttpServer / run_server(): binds handle_request to cpp-httplib, logs every request, stops on
//    SIGINT/SIGTERM (run_server) or stop().
#pragma once
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/core/error.h"

namespace calcscope::server {

/// Upload limit when none is given (`calcscope serve --max-upload-mb`).
inline constexpr std::size_t kDefaultMaxUploadMb = 64;
/// Name of an upload when the client gives none (`?name=`).
inline constexpr const char* kDefaultUploadName = "upload";

struct HttpRequest {
  std::string method;  ///< "GET", "POST", ... (upper case)
  std::string path;    ///< decoded path without the query, e.g. "/analyze"
  std::vector<std::pair<std::string, std::string>> query;  ///< decoded query parameters, in order
  std::string body;    ///< raw request body (the image file's bytes for POST /analyze)
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers (Allow, Content-Disposition, ...)
  /// The error's name for error responses ("" on success): for the request log.
  std::string error_name;
};

struct HandlerOptions {
  /// Bodies larger than this are refused with 413.
  std::size_t max_upload_bytes = kDefaultMaxUploadMb * 1024 * 1024;
  /// Where each upload is staged (a private directory per request, removed afterwards);
  /// empty = std::filesystem::temp_directory_path().
  std::filesystem::path work_dir;
};

/// Routes one request: GET /health, POST /analyze; anything else 404, a known path with another
/// method 405. Never throws: every failure becomes a JSON error response.
HttpResponse handle_request(const HttpRequest& request, const HandlerOptions& options = {});

// ---- the endpoints and their pieces (tested on their own) -----------------------------------------

/// GET /health: {"status":"ok","version":CALCSCOPE_VERSION,"schema_version":kAnalysisSchemaVersion}.
HttpResponse health_response();

/// What POST /analyze returns (`?format=`).
enum class AnalyzeFormat { Json, Html, Patient, Sr };

/// The query parameters of POST /analyze, checked.
struct AnalyzeParams {
  std::string name = kDefaultUploadName;  ///< sanitised file name (stem and view-from-name as for the CLI)
  std::optional<double> pixel_size_mm;    ///< `pixel_size` = `analyze --pixel-size`
  double min_score = -1;                  ///< `min_score` = `analyze --min-score`; < 0 = default operating point
  AnalyzeFormat format = AnalyzeFormat::Json;
};

/// Parses and checks the query of POST /analyze. Throws Error(Usage) naming the parameter for an
/// unknown or repeated parameter, a value that is not a number or out of range (pixel_size
/// 0.005-2.0 mm and min_score 0-1, as the CLI's options), or an unknown format.
AnalyzeParams parse_analyze_params(const std::vector<std::pair<std::string, std::string>>& query);

/// POST /analyze with the upload's bytes: 200 with the analysis JSON (or the report asked for), or
/// a JSON error. Never throws.
HttpResponse analyze_upload(const std::string& body, const AnalyzeParams& params, const HandlerOptions& options = {});

/// The file name the client gave, made safe to stage: the last path component, characters other
/// than letters, digits and . _ - + replaced by _, at most 128 characters; "upload" when nothing is left
/// or it would start with a dot.
std::string sanitize_upload_name(std::string_view name);

/// Splits and percent-decodes a URL query ("a=1&b=x%20y", '+' is a space).
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

/// {"error": {"code": name, "exit_code": ..., "message": ...}} from the error table (core/error.h).
nlohmann::json error_json(ErrorCode code, const std::string& message);

/// A JSON error response. The HTTP status is the table's (error_info(code).http_status) unless
/// `http_status` overrides it (413 for a too large upload, 405 for a wrong method).
HttpResponse error_response(ErrorCode code, const std::string& message, int http_status = 0);

/// 413 for an upload of `size` bytes (0 = not known) over the limit of `max_upload_bytes`.
HttpResponse too_large_response(std::size_t size, std::size_t max_upload_bytes);

/// The error response of a status cpp-httplib produces itself, before our handler runs (413 when
/// Content-Length is over the limit, 400 for a malformed request, 414 for a too long URI, ...).
/// `content_length` is the request's Content-Length (0 = none), named in the 413 message.
HttpResponse protocol_error_response(int http_status, std::size_t max_upload_bytes, std::size_t content_length = 0);

// ---- the network side ----------------------------------------------------------------------------

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  ///< 0 = any free port (HttpServer::port() tells which)
  int threads = 0;  ///< connections served at once (each may be analysing an image); 0 = one per core
  std::size_t max_upload_bytes = kDefaultMaxUploadMb * 1024 * 1024;
  std::filesystem::path work_dir;  ///< see HandlerOptions
  /// Receives one line per request and the start/stop messages; empty = standard error.
  std::function<void(const std::string&)> log;
};

/// handle_request() served by cpp-httplib. Usage: bind(), then listen() (blocks) in some thread,
/// stop() from another.
class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds the listening socket; returns the port (the chosen one when options.port is 0).
  /// Throws Error(Usage) when the address cannot be bound (port in use, not permitted, bad host).
  int bind();
  /// Serves until stop(); requests in progress are finished before it returns.
  void listen();
  /// Stops listen() (thread-safe; also when called before listen() began).
  void stop();
  bool is_running() const;
  int port() const;
  const ServerOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// `calcscope serve`: binds, logs the address, serves until SIGINT or SIGTERM, finishes the requests
/// in progress and returns 0. Throws Error(Usage) when it cannot listen.
int run_server(const ServerOptions& options);

}  // namespace calcscope::server
