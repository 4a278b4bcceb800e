// The server's request handler without a network: endpoints, the analysis JSON equal to the CLI's,
// reports, and every kind of bad input as a JSON error from the one error table.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "../io/dicom_craft.h"
#include "../io/io_test_util.h"
#include "calcscope/report/schema.h"
#include "calcscope/sr/mammo_cad_sr.h"
#include "server_fixtures.h"

namespace calcscope {
namespace {

using json = nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;
using test::contains;

HttpRequest post(const std::string& body, const std::string& query = "") {
  HttpRequest r;
  r.method = "POST";
  r.path = "/analyze";
  r.query = server::parse_query(query);
  r.body = body;
  return r;
}

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

/// The response is the JSON error of `code` (table name, exit code, table HTTP status unless `status`).
void expect_error(const HttpResponse& r, ErrorCode code, const std::string& what, int status = 0) {
  const ErrorInfo& info = error_info(code);
  EXPECT_EQ(r.status, status ? status : info.http_status) << what << "\n" << r.body;
  EXPECT_EQ(r.content_type, "application/json") << what;
  const json j = json::parse(r.body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << what << "\n" << r.body;
  ASSERT_TRUE(j.contains("error")) << what << "\n" << r.body;
  EXPECT_EQ(j["error"]["code"], std::string(info.name)) << what << "\n" << r.body;
  EXPECT_EQ(j["error"]["exit_code"], info.exit_code) << what;
  EXPECT_FALSE(j["error"]["message"].get<std::string>().empty()) << what;
  // the staging directory never shows through
  EXPECT_FALSE(contains(r.body, "calcscope-serve-")) << what << "\n" << r.body;
  EXPECT_EQ(r.error_name, std::string(info.name)) << what;
}

TEST(ServerHandler, HealthNamesVersionAndSchema) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/health";
  const HttpResponse h = server::handle_request(r);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.content_type, "application/json");
  const json j = json::parse(h.body);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["version"], CALCSCOPE_VERSION);
  EXPECT_EQ(j["schema_version"], kAnalysisSchemaVersion);
  r.method = "HEAD";
  EXPECT_EQ(server::handle_request(r).status, 200);
}

TEST(ServerHandler, AnalyzeDicomReturnsTheCliJson) {
  const auto& ph = test::ServerPhantom::get();
  const HttpResponse r = server::handle_request(post(ph.dicom(), "name=phantom.dcm"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(header(r, "Cache-Control"), "no-store");
  const json got = json::parse(r.body);
  const auto errors = validate_json(got, analysis_schema());
  EXPECT_TRUE(errors.empty()) << test::joined_lines(errors);
  EXPECT_EQ(got["image"]["file"], "phantom.dcm");
  EXPECT_EQ(got["image"]["format"], "dicom");
  EXPECT_GE(got["clusters"].size(), 1u) << "the phantom's cluster should be found";
  const json want = test::library_json(ph.dicom(), "phantom.dcm");
  EXPECT_EQ(test::without_timings(got), test::without_timings(want))
      << "the server's JSON must be what calcscope analyze writes for the same file";
}

TEST(ServerHandler, PngNeedsPixelSizeAndUsesIt) {
  const auto& ph = test::ServerPhantom::get();
  const HttpResponse missing = server::handle_request(post(ph.png(), "name=scan.png"));
  expect_error(missing, ErrorCode::MissingPixelSize, "png without pixel_size");
  EXPECT_TRUE(contains(missing.body, "scan.png")) << missing.body;
  EXPECT_TRUE(contains(missing.body, "pixel_size=MM")) << "the message names the query parameter: " << missing.body;
  EXPECT_FALSE(contains(missing.body, "--pixel-size")) << missing.body;

  const HttpResponse ok = server::handle_request(post(ph.png(), "name=scan.png&pixel_size=0.1&min_score=0"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  const json j = json::parse(ok.body);
  EXPECT_EQ(j["image"]["format"], "png");
  EXPECT_DOUBLE_EQ(j["image"]["pixel_size_mm"].get<double>(), 0.1);
  EXPECT_EQ(j["image"]["pixel_size_source"], "command line");
  EXPECT_DOUBLE_EQ(j["operating_point"]["min_calcification_score"].get<double>(), 0.0) << "min_score = --min-score";
  EXPECT_DOUBLE_EQ(j["operating_point"]["min_cluster_score"].get<double>(), 0.0);
}

TEST(ServerHandler, ReportsAreTheCliReports) {
  const auto& ph = test::ServerPhantom::get();
  const HttpResponse html = server::handle_request(post(ph.dicom(), "name=phantom.dcm&format=html"));
  ASSERT_EQ(html.status, 200) << html.body;
  EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(contains(html.body, "<!DOCTYPE html>"));
  EXPECT_TRUE(contains(html.body, "data:image/png;base64,iVBORw0KGgo")) << "self-contained overview picture";
  EXPECT_TRUE(contains(html.body, "phantom.dcm")) << "the report names the upload";
  EXPECT_FALSE(contains(html.body, "calcscope-serve-")) << "not the staging path";

  const HttpResponse patient = server::handle_request(post(ph.dicom(), "name=phantom.dcm&format=patient"));
  ASSERT_EQ(patient.status, 200) << patient.body;
  EXPECT_EQ(patient.content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(contains(patient.body, "not a diagnosis")) << patient.body.substr(0, 2000);

  const HttpResponse sr = server::handle_request(post(ph.dicom(), "name=phantom.dcm&format=sr"));
  ASSERT_EQ(sr.status, 200) << sr.body;
  EXPECT_EQ(sr.content_type, "application/dicom");
  EXPECT_EQ(header(sr, "Content-Disposition"), "attachment; filename=\"phantom.sr.dcm\"");
  ASSERT_GT(sr.body.size(), 132u);
  EXPECT_EQ(sr.body.substr(128, 4), "DICM");
  test::TempDir dir("calcscope-server-sr");
  test::write_bytes(dir / "got.sr.dcm", sr.body);
  const SrContent content = read_mammo_cad_sr(dir / "got.sr.dcm");
  const json j = json::parse(server::handle_request(post(ph.dicom(), "name=phantom.dcm")).body);
  EXPECT_EQ(content.clusters.size(), j["clusters"].size());
  EXPECT_EQ(content.patient_id, "PHANTOM");

  // an SR is not an image: posting it back is the CLI's not_an_image
  expect_error(server::handle_request(post(sr.body, "name=phantom.sr.dcm")), ErrorCode::NotAnImage, "our own SR");
}

TEST(ServerHandler, FileNameGivesStemAndView) {
  const auto& ph = test::ServerPhantom::get();
  const HttpResponse r = server::handle_request(post(ph.png(), "name=case7_R_MLO.png&pixel_size=0.1&format=sr"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(header(r, "Content-Disposition"), "attachment; filename=\"case7_R_MLO.sr.dcm\"");
  const HttpResponse j = server::handle_request(post(ph.png(), "name=..%2F..%2Fcase7_R_MLO.png&pixel_size=0.1"));
  ASSERT_EQ(j.status, 200) << j.body;
  const json got = json::parse(j.body);
  EXPECT_EQ(got["image"]["file"], "case7_R_MLO.png") << "directories are dropped from the name";
  EXPECT_EQ(got["image"]["laterality"], "R");
  EXPECT_EQ(got["image"]["view"], "MLO");
}

class ServerBadInput : public ::testing::Test {
 protected:
  static std::string crafted(const test::Crafted& c) {
    test::TempDir d("calcscope-server-craft");
    test::craft(d / "x.dcm", c);
    return test::read_bytes(d / "x.dcm");
  }
};

TEST_F(ServerBadInput, EachBadInputIsAJsonErrorFromTheTable) {
  const auto& ph = test::ServerPhantom::get();
  test::Crafted dose;
  dose.pixel_data = false;
  dose.sop_class = UID_XRayRadiationDoseSRStorage;
  dose.modality = "SR";
  test::Crafted rgb;
  rgb.samples = 3;
  rgb.photometric = "RGB";
  test::Crafted tomo;
  tomo.frames = 4;
  test::Crafted rows0;
  rows0.rows = 0;
  rows0.pixel_bytes = 128;
  test::Crafted huge;
  huge.rows = 60000;
  huge.pixel_bytes = 128;

  test::TempDir d("calcscope-server-bad");
  const Image img = test::breast_like_image(600, 800, 0.1);
  DicomWriteOptions no_spacing;
  no_spacing.write_imager_pixel_spacing = false;
  write_dicom_mg(img, d / "no_spacing.dcm", no_spacing);
  DicomWriteOptions j2k;
  j2k.compression = DicomCompression::Jpeg2000;
  write_dicom_mg(img, d / "j2k.dcm", j2k);
  std::string corrupt_j2k = test::read_bytes(d / "j2k.dcm");
  const auto soc = corrupt_j2k.find(std::string("\xFF\x4F\xFF\x51", 4));
  ASSERT_NE(soc, std::string::npos);
  for (std::size_t i = soc; i < soc + 64; ++i) corrupt_j2k[i] = '\x5A';
  // a PNG header claiming 30000 x 30000 pixels, and nothing after it
  std::string png_bomb("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x75\x30\0\0\x75\x30\x08\x00\x00\x00\x00", 29);
  png_bomb += std::string(64, '\0');
  std::mt19937 rng(3);
  std::string noise(4096, '\0');
  for (auto& c : noise) c = static_cast<char>(rng() & 0xff);

  struct Case {
    std::string what, body, query;
    ErrorCode code;
  };
  const std::vector<Case> cases = {
      {"empty body", "", "", ErrorCode::Unreadable},
      {"text", "not an image at all, just some text\n", "name=notes.txt", ErrorCode::UnsupportedFormat},
      {"jpeg photo", std::string("\xFF\xD8\xFF\xE0\0\x10JFIF\0", 11) + std::string(200, 'x'), "name=photo.jpg",
       ErrorCode::UnsupportedFormat},
      {"pdf", "%PDF-1.4\n%...", "name=report.pdf", ErrorCode::UnsupportedFormat},
      {"random bytes", noise, "", ErrorCode::UnsupportedFormat},
      {"dose report SR", crafted(dose), "name=dose.dcm", ErrorCode::NotAnImage},
      {"colour DICOM", crafted(rgb), "", ErrorCode::NotAMammogram},
      {"multi-frame DICOM", crafted(tomo), "", ErrorCode::NotAMammogram},
      {"zero rows", crafted(rows0), "", ErrorCode::InvalidImage},
      {"60000 rows", crafted(huge), "", ErrorCode::InvalidImage},
      {"truncated DICOM", ph.dicom().substr(0, ph.dicom().size() / 2), "name=cut.dcm", ErrorCode::InvalidImage},
      {"corrupt JPEG 2000", corrupt_j2k, "", ErrorCode::DecodeFailed},
      {"DICOM without pixel size", test::read_bytes(d / "no_spacing.dcm"), "", ErrorCode::MissingPixelSize},
      {"PNG without pixel size", ph.png(), "", ErrorCode::MissingPixelSize},
      {"PNG of absurd size", png_bomb, "pixel_size=0.1", ErrorCode::InvalidImage},
      {"truncated PNG", ph.png().substr(0, ph.png().size() / 2), "pixel_size=0.1", ErrorCode::DecodeFailed},
  };
  server::HandlerOptions opt;
  opt.work_dir = d / "work";
  std::filesystem::create_directories(opt.work_dir);
  for (const auto& c : cases) {
    const HttpResponse r = server::handle_request(post(c.body, c.query), opt);
    expect_error(r, c.code, c.what);
  }
  // the dose report's message says what it is, as the CLI's does
  const HttpResponse dose_r = server::handle_request(post(crafted(dose), "name=dose.dcm"), opt);
  EXPECT_TRUE(contains(dose_r.body, "dose.dcm: this is a Radiation Dose SR")) << dose_r.body;
  // the pixel size rescues a DICOM without spacing, as --pixel-size does
  const HttpResponse rescued =
      server::handle_request(post(test::read_bytes(d / "no_spacing.dcm"), "pixel_size=0.1"), opt);
  EXPECT_EQ(rescued.status, 200) << rescued.body;
  // every staging directory was removed
  EXPECT_TRUE(std::filesystem::is_empty(opt.work_dir));
}

TEST_F(ServerBadInput, TruncatedUploadsNeverFailInternally) {
  const auto& ph = test::ServerPhantom::get();
  std::vector<std::pair<std::string, std::string>> bodies;  // (what, body + query)
  for (std::size_t n : {1ul, 10ul, 128ul, 132ul, 140ul, 300ul, 700ul, 2000ul, 20000ul, ph.dicom().size() - 1})
    bodies.emplace_back("dicom[:" + std::to_string(n) + "]", ph.dicom().substr(0, n));
  for (std::size_t n : {4ul, 8ul, 20ul, 33ul, 60ul, 500ul, 5000ul})
    bodies.emplace_back("png[:" + std::to_string(n) + "]", ph.png().substr(0, n));
  for (const auto& [what, body] : bodies) {
    const HttpResponse r = server::handle_request(post(body, "pixel_size=0.1"));
    EXPECT_TRUE(r.status == 200 || (r.status >= 400 && r.status < 500)) << what << ": " << r.status << "\n" << r.body;
    if (r.status != 200) {
      const json j = json::parse(r.body, nullptr, false);
      EXPECT_TRUE(!j.is_discarded() && j.contains("error")) << what << "\n" << r.body;
    }
  }
}

TEST(ServerHandler, TooLargeIs413) {
  server::HandlerOptions opt;
  opt.max_upload_bytes = 1000;
  const HttpResponse r = server::handle_request(post(std::string(1001, 'x')), opt);
  expect_error(r, ErrorCode::Usage, "over the limit", 413);
  EXPECT_TRUE(contains(r.body, "--max-upload-mb")) << r.body;
  expect_error(server::protocol_error_response(413, 1 << 20, 5 << 20), ErrorCode::Usage, "httplib's 413", 413);
  EXPECT_TRUE(contains(server::protocol_error_response(413, 1 << 20, 5 << 20).body, "5.00 MB"));
}

TEST(ServerHandler, BadParametersAre400AndNameTheParameter) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"pixel_size=abc", "pixel_size"},     {"pixel_size=-1", "pixel_size"},   {"pixel_size=0", "pixel_size"},
      {"pixel_size=2.5", "pixel_size"},     {"pixel_size=nan", "pixel_size"},  {"pixel_size=0.1mm", "pixel_size"},
      {"min_score=1.5", "min_score"},       {"min_score=x", "min_score"},      {"format=pdf", "format"},
      {"pixelsize=0.1", "pixelsize"},       {"pixel_size=0.1&pixel_size=0.2", "twice"},
  };
  const auto& ph = test::ServerPhantom::get();
  for (const auto& [query, word] : cases) {
    const HttpResponse r = server::handle_request(post(ph.png(), query));
    expect_error(r, ErrorCode::Usage, query);
    EXPECT_TRUE(contains(r.body, word)) << query << "\n" << r.body;
  }
}

TEST(ServerHandler, UnknownPathIs404WrongMethodIs405) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/nope";
  expect_error(server::handle_request(r), ErrorCode::FileNotFound, "unknown path", 404);
  r.path = "/analyze";
  HttpResponse m = server::handle_request(r);
  expect_error(m, ErrorCode::Usage, "GET /analyze", 405);
  EXPECT_EQ(header(m, "Allow"), "POST");
  r.method = "POST";
  r.path = "/health";
  m = server::handle_request(r);
  expect_error(m, ErrorCode::Usage, "POST /health", 405);
  EXPECT_EQ(header(m, "Allow"), "GET, HEAD");
  r.method = "DELETE";
  r.path = "/analyze";
  expect_error(server::handle_request(r), ErrorCode::Usage, "DELETE /analyze", 405);
}

TEST(ServerHandler, ErrorResponsesFollowTheErrorTable) {
  for (const auto& e : error_table()) {
    if (e.code == ErrorCode::Ok) continue;
    const HttpResponse r = server::error_response(e.code, "m");
    EXPECT_EQ(r.status, e.http_status) << e.name;
    const json j = json::parse(r.body);
    EXPECT_EQ(j["error"]["code"], std::string(e.name));
    EXPECT_EQ(j["error"]["exit_code"], e.exit_code);
    EXPECT_EQ(j["error"]["message"], "m");
  }
  // 4xx from the table for bad input, 5xx only for our own failures
  EXPECT_EQ(error_info(ErrorCode::UnsupportedFormat).http_status, 415);
  EXPECT_EQ(error_info(ErrorCode::MissingPixelSize).http_status, 422);
  EXPECT_EQ(error_info(ErrorCode::Internal).http_status, 500);
}

TEST(ServerHandler, QueryParsingAndNameSanitising) {
  const auto q = server::parse_query("a=1&name=my%20scan+L.png&&flag&b=%zz&c=x%3Dy");
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[0], (std::pair<std::string, std::string>{"a", "1"}));
  EXPECT_EQ(q[1].second, "my scan L.png");
  EXPECT_EQ(q[2], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(q[3].second, "%zz");
  EXPECT_EQ(q[4].second, "x=y");
  EXPECT_EQ(server::sanitize_upload_name("my scan L.png"), "my_scan_L.png");
  EXPECT_EQ(server::sanitize_upload_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(server::sanitize_upload_name("C:\\images\\mdb001.pgm"), "mdb001.pgm");
  EXPECT_EQ(server::sanitize_upload_name(""), "upload");
  EXPECT_EQ(server::sanitize_upload_name(".."), "upload..");
  EXPECT_EQ(server::sanitize_upload_name(".hidden"), "upload.hidden");
  EXPECT_EQ(server::sanitize_upload_name("a/"), "upload");
  EXPECT_EQ(server::sanitize_upload_name(std::string(300, 'a')).size(), 128u);
  EXPECT_EQ(server::parse_analyze_params({}).name, "upload");
  EXPECT_FALSE(server::parse_analyze_params({}).pixel_size_mm);
}

}  // namespace
}  // namespace calcscope
