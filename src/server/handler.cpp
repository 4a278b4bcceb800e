// The network-free side of `calcscope serve`: routing, parameters, staging an upload, errors.
#include <stdlib.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <new>
#include <sstream>
#include <system_error>

#include "calcscope/io/image_reader.h"
#include "calcscope/pipeline/analyze.h"
#include "calcscope/pipeline/batch.h"
#include "calcscope/report/json_output.h"
#include "calcscope/server/server.h"

namespace calcscope::server {

namespace fs = std::filesystem;

namespace {

constexpr const char* kJson = "application/json";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

/// The library's messages speak to the CLI user; over HTTP the pixel size is a query parameter.
std::string for_http(std::string message) {
  message = replace_all(std::move(message), "--pixel-size MM", "pixel_size=MM in the query");
  return replace_all(std::move(message), "--pixel-size", "pixel_size");
}

std::optional<double> parse_number(const std::string& text) {
  double v = 0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (r.ec != std::errc() || r.ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string read_file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error(ErrorCode::Internal, "the analysis did not produce its output file", p.filename().string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A private directory (mode 0700) per upload, removed with everything in it.
class StagingDir {
 public:
  explicit StagingDir(const fs::path& parent) {
    const fs::path base = parent.empty() ? fs::temp_directory_path() : parent;
    std::string tmpl = (base / "calcscope-serve-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw Error(ErrorCode::OutputFailed,
                  "cannot create a staging directory for the upload: check that the server's temporary directory "
                  "exists, is writable and has free space",
                  base.string());
    path_ = tmpl;
  }
  ~StagingDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// A PNG announces its size in its first chunk: refuse what the reader would refuse only after
/// decoding it whole (a small file can claim 30000 x 30000 pixels).
void check_png_size(const std::string& body, const ReadOptions& read) {
  static const char sig[] = "\x89PNG\r\n\x1a\n";
  if (body.size() < 24 || body.compare(0, 8, sig, 8) != 0 || body.compare(12, 4, "IHDR") != 0) return;
  auto be32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(body[at + i]);
    return v;
  };
  const std::uint32_t w = be32(16), h = be32(20);
  const auto limit = static_cast<std::uint32_t>(read.max_side_px);
  if (w > limit || h > limit)
    throw Error(ErrorCode::InvalidImage,
                "absurd image size (" + std::to_string(w) + " x " + std::to_string(h) + " pixels, more than " +
                    std::to_string(read.max_side_px) + " per side): not a mammogram");
}

std::string mb_text(std::size_t bytes) {
  std::ostringstream s;
  s.precision(bytes < 10 * 1024 * 1024 ? 2 : 0);
  s << std::fixed << static_cast<double>(bytes) / (1024.0 * 1024.0);
  return s.str();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view item = query.substr(start, end - start);
    if (!item.empty()) {
      const auto eq = item.find('=');
      if (eq == std::string_view::npos)
        out.emplace_back(percent_decode(item), "");
      else
        out.emplace_back(percent_decode(item.substr(0, eq)), percent_decode(item.substr(eq + 1)));
    }
    start = end + 1;
  }
  return out;
}

std::string sanitize_upload_name(std::string_view name) {
  const auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name = name.substr(slash + 1);
  std::string out;
  for (char c : name) {
    if (out.size() >= 128) break;
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '+';
    out += ok ? c : '_';
  }
  if (out.empty() || out.front() == '.') out = std::string(kDefaultUploadName) + out;
  return out;
}

nlohmann::json error_json(ErrorCode code, const std::string& message) {
  const ErrorInfo& info = error_info(code);
  return {{"error", {{"code", std::string(info.name)}, {"exit_code", info.exit_code}, {"message", message}}}};
}

HttpResponse error_response(ErrorCode code, const std::string& message, int http_status) {
  HttpResponse r;
  r.status = http_status > 0 ? http_status : error_info(code).http_status;
  r.content_type = kJson;
  r.body = json_text(error_json(code, message)) + "\n";
  r.error_name = std::string(error_info(code).name);
  return r;
}

HttpResponse too_large_response(std::size_t size, std::size_t max) {
  return error_response(ErrorCode::Usage,
                        std::string("the upload") + (size ? " (" + mb_text(size) + " MB)" : std::string()) +
                            " is larger than this server's limit of " + mb_text(max) +
                            " MB: send one image file, or start the server with a larger --max-upload-mb",
                        413);
}

HttpResponse protocol_error_response(int status, std::size_t max_upload_bytes, std::size_t content_length) {
  switch (status) {
    case 404: return error_response(ErrorCode::FileNotFound, "no such endpoint: use GET /health or POST /analyze", 404);
    case 405: return error_response(ErrorCode::Usage, "method not allowed on this endpoint", 405);
    case 413: return too_large_response(content_length, max_upload_bytes);
    case 414: return error_response(ErrorCode::Usage, "the request URI is too long", 414);
    case 416: return error_response(ErrorCode::Usage, "the requested range cannot be satisfied", 416);
    default:
      if (status >= 500)
        return error_response(ErrorCode::Internal, "internal server error (a bug): please report it", status);
      return error_response(ErrorCode::Usage,
                            "malformed HTTP request (status " + std::to_string(status) +
                                "): POST the image file's bytes to /analyze, e.g. curl --data-binary @FILE",
                            status);
  }
}

HttpResponse health_response() {
  HttpResponse r;
  r.body = nlohmann::ordered_json{{"status", "ok"},
                                  {"version", CALCSCOPE_VERSION},
                                  {"schema_version", kAnalysisSchemaVersion}}
               .dump() +
           "\n";
  return r;
}

AnalyzeParams parse_analyze_params(const std::vector<std::pair<std::string, std::string>>& query) {
  AnalyzeParams p;
  std::vector<std::string> seen;
  for (const auto& [key, value] : query) {
    for (const auto& s : seen)
      if (s == key) throw Error(ErrorCode::Usage, "query parameter '" + key + "' is given twice: give it once");
    seen.push_back(key);
    if (key == "pixel_size") {
      const auto v = parse_number(value);
      if (!v || *v < 0.005 || *v > 2.0)
        throw Error(ErrorCode::Usage,
                    "pixel_size must be the pixel size in millimetres, 0.005 to 2 (e.g. pixel_size=0.2 for "
                    "mini-MIAS), not '" + value + "'");
      p.pixel_size_mm = *v;
    } else if (key == "min_score") {
      const auto v = parse_number(value);
      if (!v || *v < 0.0 || *v > 1.0)
        throw Error(ErrorCode::Usage, "min_score must be a score cut from 0 to 1 (0 keeps every candidate), not '" +
                                          value + "'");
      p.min_score = *v;
    } else if (key == "name") {
      p.name = sanitize_upload_name(value);
    } else if (key == "format") {
      if (value == "json" || value.empty()) p.format = AnalyzeFormat::Json;
      else if (value == "html") p.format = AnalyzeFormat::Html;
      else if (value == "patient") p.format = AnalyzeFormat::Patient;
      else if (value == "sr") p.format = AnalyzeFormat::Sr;
      else
        throw Error(ErrorCode::Usage, "unknown format '" + value +
                                          "': use json (the default), html (radiologist report), patient (patient "
                                          "summary) or sr (DICOM SR)");
    } else {
      throw Error(ErrorCode::Usage, "unknown query parameter '" + key +
                                        "': POST /analyze takes pixel_size (mm), min_score (0-1), name (the file's "
                                        "name) and format (json, html, patient, sr)");
    }
  }
  return p;
}

HttpResponse analyze_upload(const std::string& body, const AnalyzeParams& params, const HandlerOptions& options) {
  const std::string name = sanitize_upload_name(params.name);
  std::string staged;  // the staged input's path: error messages name the upload instead
  // outputs: the staging path in place of the name, should any show through (none is known to)
  auto unstage = [&](std::string text) {
    return staged.empty() ? text : replace_all(std::move(text), staged, name);
  };
  // error messages: also spoken to an HTTP client
  auto scrub = [&](std::string text) { return for_http(unstage(std::move(text))); };
  try {
    if (body.size() > options.max_upload_bytes) return too_large_response(body.size(), options.max_upload_bytes);
    if (body.empty())
      return error_response(ErrorCode::Unreadable,
                            name + ": the request body is empty: send the image file's bytes as the body (curl "
                                   "--data-binary @FILE)");
    BatchOptions o;  // what `calcscope analyze` sets from its options
    if (params.pixel_size_mm) o.read.pixel_size_mm = *params.pixel_size_mm;
    o.analyze.min_calcification_score = params.min_score;
    o.analyze.min_cluster_score = params.min_score;
    o.reports.html = params.format == AnalyzeFormat::Html;
    o.reports.patient = params.format == AnalyzeFormat::Patient;
    o.reports.sr = params.format == AnalyzeFormat::Sr;
    check_png_size(body, o.read);

    const StagingDir dir(options.work_dir);
    const fs::path input = dir.path() / "in" / name;
    o.output_dir = dir.path() / "out";
    std::error_code ec;
    fs::create_directories(input.parent_path(), ec);
    fs::create_directories(o.output_dir, ec);
    staged = input.string();
    {
      std::ofstream out(input, std::ios::binary);
      out.write(body.data(), static_cast<std::streamsize>(body.size()));
      out.close();
      if (!out)
        throw Error(ErrorCode::OutputFailed,
                    "cannot stage the upload in the server's temporary directory (disk full?)", dir.path().string());
    }
    const std::string stem = unique_stems({input}).front();

    analyze_file(input, stem, o, name);  // the outputs name the upload, not the staging path

    HttpResponse r;
    switch (params.format) {
      case AnalyzeFormat::Json:
        r.body = unstage(read_file_bytes(o.output_dir / (stem + ".json")));
        break;
      case AnalyzeFormat::Html:
        r.content_type = "text/html; charset=utf-8";
        r.body = unstage(read_file_bytes(o.output_dir / (stem + ".report.html")));
        break;
      case AnalyzeFormat::Patient:
        r.content_type = "text/html; charset=utf-8";
        r.body = unstage(read_file_bytes(o.output_dir / (stem + ".patient.html")));
        break;
      case AnalyzeFormat::Sr:
        r.content_type = "application/dicom";
        r.body = read_file_bytes(o.output_dir / (stem + ".sr.dcm"));
        r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + stem + ".sr.dcm\"");
        break;
    }
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  } catch (const Error& e) {
    const std::string message =
        e.file().empty() || e.file() == staged ? name + ": " + e.message() : e.what();
    return error_response(e.code(), scrub(message));
  } catch (const std::bad_alloc&) {
    return error_response(ErrorCode::Internal,
                          name + ": out of memory while analysing the image: retry later, or give the server fewer "
                                 "--threads or more memory");
  } catch (const std::exception& e) {
    return error_response(ErrorCode::Internal,
                          name + ": internal error: " + scrub(e.what()) + " (a bug: please report it with the image)");
  } catch (...) {
    return error_response(ErrorCode::Internal, name + ": internal error (a bug: please report it with the image)");
  }
}

HttpResponse handle_request(const HttpRequest& request, const HandlerOptions& options) {
  try {
    struct Route {
      const char* path;
      const char* method;
      const char* allow;
    };
    static const Route routes[] = {{"/health", "GET", "GET, HEAD"}, {"/analyze", "POST", "POST"}};
    for (const auto& route : routes) {
      if (request.path != route.path) continue;
      const bool allowed =
          request.method == route.method || (request.method == "HEAD" && std::string(route.method) == "GET");
      if (!allowed) {
        HttpResponse r = error_response(ErrorCode::Usage,
                                        request.method + " is not allowed on " + request.path + ": use " +
                                            route.method + " " + route.path,
                                        405);
        r.headers.emplace_back("Allow", route.allow);
        return r;
      }
      if (request.path == "/health") return health_response();
      if (request.body.size() > options.max_upload_bytes)
        return too_large_response(request.body.size(), options.max_upload_bytes);
      AnalyzeParams params;
      try {
        params = parse_analyze_params(request.query);
      } catch (const Error& e) {
        return error_response(e.code(), e.message());
      }
      return analyze_upload(request.body, params, options);
    }
    return error_response(ErrorCode::FileNotFound,
                          "no such endpoint: " + request.method + " " + request.path +
                              " (the endpoints are GET /health and POST /analyze)",
                          404);
  } catch (const std::exception& e) {
    return error_response(ErrorCode::Internal,
                          std::string("internal error: ") + e.what() + " (a bug: please report it)");
  } catch (...) {
    return error_response(ErrorCode::Internal, "internal error (a bug: please report it)");
  }
}

}  // namespace calcscope::server
