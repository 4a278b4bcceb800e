// A real PACS: Orthanc (Debian package `orthanc`) started as a child process with a temporary
// configuration (free DICOM and HTTP ports, storage in a temp dir); `analyze --send-sr` and `send`
// deliver to it, and its REST API (plain HTTP over a socket) shows what arrived.
// Skips when the Orthanc binary is not installed (bash scripts/setup.sh installs it).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "calcscope/io/image_reader.h"
#include "net_test_util.h"
#include "test_support.h"

namespace calcscope {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::quoted;
using test::run_cli;

std::optional<fs::path> orthanc_binary() {
  for (const char* p : {"/usr/sbin/Orthanc", "/usr/bin/Orthanc", "/usr/local/bin/Orthanc", "/usr/local/sbin/Orthanc"})
    if (fs::exists(p)) return fs::path(p);
  return std::nullopt;
}

/// GET http://127.0.0.1:port/path; the body when the status is 200.
std::optional<std::string> http_get(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return std::nullopt;
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return std::nullopt;
  }
  std::string resp;
  char buf[8192];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, static_cast<std::size_t>(n));
  close(fd);
  const auto head_end = resp.find("\r\n\r\n");
  if (resp.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) return std::nullopt;
  if (resp.substr(9, 3) != "200") return std::nullopt;
  return resp.substr(head_end + 4);
}

std::optional<json> get_json(int port, const std::string& path) {
  const auto body = http_get(port, path);
  if (!body) return std::nullopt;
  try {
    return json::parse(*body);
  } catch (...) {
    return std::nullopt;
  }
}

/// simplified-tags of every instance Orthanc holds.
std::vector<json> orthanc_instances(int http_port) {
  std::vector<json> out;
  const auto ids = get_json(http_port, "/instances");
  if (!ids || !ids->is_array()) return out;
  for (const auto& id : *ids)
    if (auto tags = get_json(http_port, "/instances/" + id.get<std::string>() + "/simplified-tags")) out.push_back(*tags);
  return out;
}

const json* find_instance(const std::vector<json>& all, const std::string& sop_instance_uid) {
  for (const auto& t : all)
    if (t.value("SOPInstanceUID", "") == sop_instance_uid) return &t;
  return nullptr;
}

TEST(Orthanc, AnalyzeSendSrArrivesInOrthancWithOurUid) {
  const auto bin = orthanc_binary();
  if (!bin)
    GTEST_SKIP() << "Orthanc is not installed: run `bash scripts/setup.sh` (installs the Debian package orthanc) "
                    "to run this test against a real PACS";
  test::TempDir tmp("calcscope-net-orthanc");
  const int dicom_port = test::free_port();
  int http_port = test::free_port();
  while (http_port == dicom_port) http_port = test::free_port();
  const json config = {
      {"Name", "calcscope-test"},
      {"StorageDirectory", (tmp / "storage").string()},
      {"IndexDirectory", (tmp / "storage").string()},
      {"DicomAet", "ORTHANC"},
      {"DicomPort", dicom_port},
      {"HttpPort", http_port},
      {"DicomServerEnabled", true},
      {"HttpServerEnabled", true},
      {"RemoteAccessAllowed", false},
      {"AuthenticationEnabled", false},
      {"DicomCheckCalledAet", true},  // a wrong called AE title is then refused (checked below)
      {"DicomAlwaysAllowEcho", true},
      {"DicomAlwaysAllowStore", true},
      {"DicomModalities", {{"calcscope", json::array({"CALCSCOPE", "127.0.0.1", 11112})}}},
      {"Plugins", json::array()},
      {"StorageCompression", false},
  };
  std::ofstream(tmp / "orthanc.json") << config.dump(2);
  const fs::path log = tmp / "orthanc.log";
  test::Child orthanc({bin->string(), (tmp / "orthanc.json").string()}, log);
  ASSERT_TRUE(orthanc.started());
  const bool up = test::wait_until([&] { return http_get(http_port, "/system").has_value() && test::port_open(dicom_port); }, 30);
  ASSERT_TRUE(up) << "Orthanc did not start; its log:\n" << test::slurp(log);
  const auto sys = get_json(http_port, "/system");
  ASSERT_TRUE(sys.has_value());
  EXPECT_EQ(sys->value("DicomAet", ""), "ORTHANC");

  const fs::path phantom = test::write_phantom_dicom(tmp / "phantom.dcm");
  const std::string to = "ORTHANC@127.0.0.1:" + std::to_string(dicom_port);
  const fs::path out = tmp / "out";
  const auto r = run_cli("analyze " + quoted(phantom) + " --output " + quoted(out) + " --report sr --send-sr " + to);
  ASSERT_EQ(r.exit_code, 0) << r.output << "\nOrthanc log:\n" << test::slurp(log);
  EXPECT_NE(r.output.find("SR sent to " + to), std::string::npos) << r.output;
  std::ifstream jin(out / "phantom.json");
  const json analysis = json::parse(jin);
  const std::string sr_uid = analysis["sr"]["sop_instance_uid"];
  ASSERT_FALSE(sr_uid.empty());

  auto all = orthanc_instances(http_port);
  const json* sr = find_instance(all, sr_uid);
  ASSERT_NE(sr, nullptr) << "the SR is not in Orthanc; instances: " << json(all).dump(1);
  EXPECT_EQ(sr->value("Modality", ""), "SR");
  EXPECT_EQ(sr->value("SOPClassUID", ""), "1.2.840.10008.5.1.4.1.1.88.50");  // Mammography CAD SR
  EXPECT_EQ(sr->value("StudyInstanceUID", ""), read_image(phantom).info.study_instance_uid) << "joins the image's study";

  // `send`: C-ECHO, then the image itself.
  const auto s = run_cli("send " + quoted(phantom) + " --to " + to);
  ASSERT_EQ(s.exit_code, 0) << s.output;
  EXPECT_NE(s.output.find("echo " + to + " (calling CALCSCOPE): ok"), std::string::npos) << s.output;
  all = orthanc_instances(http_port);
  const json* mg = find_instance(all, read_image(phantom).info.sop_instance_uid);
  ASSERT_NE(mg, nullptr) << json(all).dump(1);
  EXPECT_EQ(mg->value("Modality", ""), "MG");

  // A wrong called AE title is refused by the PACS: association_rejected, exit 14.
  const auto wrong = run_cli("send " + quoted(phantom) + " --to WRONG@127.0.0.1:" + std::to_string(dicom_port));
  EXPECT_EQ(wrong.exit_code, 14) << wrong.output;
  EXPECT_NE(wrong.output.find("rejected the association"), std::string::npos) << wrong.output;

  orthanc.signal(SIGTERM);  // only our own child
  EXPECT_EQ(orthanc.wait(20), 0) << test::slurp(log);
}

}  // namespace
}  // namespace calcscope
