// Loopback: our own Storage SCP (StorageListener, in-process, on a free port) receives what
// `calcscope send`, `analyze --send-sr` and the library send; bad files, closed ports, rejected
// SOP classes, compressed transfer syntaxes, SR forwarding; the `listen` CLI stops on SIGTERM/SIGINT.
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../io/dicom_craft.h"
#include "calcscope/io/image_reader.h"
#include "calcscope/net/listen.h"
#include "calcscope/net/send.h"
#include "calcscope/sr/mammo_cad_sr.h"
#include "net_test_util.h"
#include "test_support.h"

namespace calcscope {
namespace {

namespace fs = std::filesystem;
using test::quoted;
using test::run_cli;

nlohmann::json load_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

/// An in-process `listen` on a free port that records what it received.
class RunningListener {
 public:
  RunningListener(const fs::path& out, const std::string& reports, std::optional<DicomPeer> forward = {})
      : listener_(options(out, reports, forward), [this](const ReceivedInstance& r) {
          std::lock_guard<std::mutex> lock(mutex_);
          got_.push_back(r);
        }) {
    listener_.start();
  }
  DicomPeer peer() const { return {"CALCSCOPE", "127.0.0.1", listener_.port()}; }
  std::string peer_text() const { return peer().to_string(); }
  /// Waits until n instances are done with; returns them.
  std::vector<ReceivedInstance> wait_for(std::size_t n, double seconds = 30) {
    test::wait_until(
        [&] {
          std::lock_guard<std::mutex> lock(mutex_);
          return got_.size() >= n;
        },
        seconds);
    std::lock_guard<std::mutex> lock(mutex_);
    return got_;
  }
  StorageListener& listener() { return listener_; }

 private:
  static ListenOptions options(const fs::path& out, const std::string& reports, std::optional<DicomPeer> forward) {
    ListenOptions o;
    o.port = test::free_port();
    o.aet = "CALCSCOPE";
    o.analysis.output_dir = out;
    o.analysis.reports = parse_report_request(reports);
    o.analysis.jobs = 1;
    o.timeout_seconds = 10;
    if (forward) {
      o.forward_sr = forward;
      o.analysis.reports.sr = true;
      o.forward.echo = false;
      o.forward.timeout_seconds = 10;
    }
    return o;
  }
  std::mutex mutex_;
  std::vector<ReceivedInstance> got_;
  StorageListener listener_;
};

class Loopback : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("calcscope-net-loopback");
    phantom_ = new fs::path(test::write_phantom_dicom(dir_->path() / "phantom.dcm"));
    phantom_uid_ = new std::string(read_image(*phantom_).info.sop_instance_uid);
  }
  static void TearDownTestSuite() {
    delete phantom_uid_;
    delete phantom_;
    delete dir_;
  }
  static test::TempDir* dir_;
  static fs::path* phantom_;
  static std::string* phantom_uid_;
};
test::TempDir* Loopback::dir_ = nullptr;
fs::path* Loopback::phantom_ = nullptr;
std::string* Loopback::phantom_uid_ = nullptr;

TEST_F(Loopback, SentPhantomIsStoredAnalysedAndReportedAsAnalyzeWould) {
  test::TempDir tmp("calcscope-net-send");
  const fs::path out = tmp / "listen-out";
  RunningListener scp(out, "html,sr");
  const auto r = run_cli("send " + quoted(*phantom_) + " --to " + scp.peer_text());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("echo " + scp.peer_text() + " (calling CALCSCOPE): ok"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("phantom.dcm"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(*phantom_uid_), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 file(s): 1 sent, 0 failed"), std::string::npos) << r.output;

  const auto got = scp.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  const ReceivedInstance& in = got.front();
  EXPECT_EQ(in.sop_instance_uid, *phantom_uid_);
  EXPECT_EQ(in.modality, "MG");
  EXPECT_EQ(in.calling_aet, "CALCSCOPE");
  EXPECT_EQ(in.peer_ip, "127.0.0.1");
  ASSERT_TRUE(in.analysed);
  ASSERT_TRUE(in.analysis.ok) << in.analysis.message;
  const std::string stem = "MG." + *phantom_uid_;
  EXPECT_EQ(in.file, out / "received" / (stem + ".dcm"));
  EXPECT_TRUE(fs::exists(in.file));
  for (const char* ext : {".json", ".sr.dcm", ".report.html"})
    EXPECT_TRUE(fs::exists(out / (stem + ext))) << stem << ext;
  const std::string line = format_received_line(in);
  EXPECT_NE(line.find("MG " + *phantom_uid_ + " from CALCSCOPE@127.0.0.1: analysed in"), std::string::npos) << line;
  EXPECT_NE(line.find("BI-RADS " + in.category), std::string::npos) << line;

  // The SR references the received image.
  const SrContent sr = read_mammo_cad_sr(out / (stem + ".sr.dcm"));
  ASSERT_EQ(sr.images.size(), 1u);
  EXPECT_EQ(sr.images.front().sop_instance_uid, *phantom_uid_);

  // Same pipeline as `calcscope analyze` on the original file: same findings.
  const fs::path direct = tmp / "analyze-out";
  const auto a = run_cli("analyze " + quoted(*phantom_) + " --output " + quoted(direct));
  ASSERT_EQ(a.exit_code, 0) << a.output;
  const auto j_listen = load_json(out / (stem + ".json"));
  const auto j_direct = load_json(direct / "phantom.json");
  EXPECT_EQ(j_listen["calcifications"], j_direct["calcifications"]);
  EXPECT_EQ(j_listen["clusters"], j_direct["clusters"]);
  EXPECT_EQ(j_listen["assessment"]["category"], j_direct["assessment"]["category"]);
  EXPECT_EQ(j_listen["image"]["width"], 800);
}

TEST_F(Loopback, CompressedTransferSyntaxesAreKeptAndAnalysed) {
  test::TempDir tmp("calcscope-net-ts");
  RunningListener scp(tmp / "out", "");
  const std::vector<std::pair<DicomCompression, std::string>> cases = {
      {DicomCompression::JpegLs, "1.2.840.10008.1.2.4.80"},
      {DicomCompression::Jpeg2000, "1.2.840.10008.1.2.4.90"},
      {DicomCompression::Rle, "1.2.840.10008.1.2.5"},
  };
  std::vector<fs::path> files;
  for (std::size_t i = 0; i < cases.size(); ++i)
    files.push_back(test::write_phantom_dicom(tmp / ("c" + std::to_string(i) + ".dcm"), cases[i].first, 20 + i));
  const SendReport rep = send_dicom_files(files, scp.peer());
  ASSERT_EQ(rep.exit_code(), 0) << format_send_report(rep);
  EXPECT_TRUE(rep.echo_ok);
  const auto got = scp.wait_for(cases.size(), 60);
  ASSERT_EQ(got.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(rep.files[i].transfer_syntax_uid, cases[i].second);
    const auto& in = got[i];  // one association, one worker: in order
    EXPECT_EQ(in.sop_instance_uid, rep.files[i].sop_instance_uid);
    EXPECT_TRUE(in.analysis.ok) << cases[i].second << ": " << in.analysis.message;
    EXPECT_EQ(read_image(in.file).info.transfer_syntax, cases[i].second) << "stored as received";
  }
}

TEST_F(Loopback, AnalyzeSendSrDeliversTheSrWhichTheListenerStoresWithoutAnalysing) {
  test::TempDir tmp("calcscope-net-send-sr");
  RunningListener pacs(tmp / "pacs", "");
  const fs::path out = tmp / "out";
  const auto r =
      run_cli("analyze " + quoted(*phantom_) + " --output " + quoted(out) + " --report sr --send-sr " + pacs.peer_text());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("SR sent to " + pacs.peer_text()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 SR(s) sent to"), std::string::npos) << r.output;
  const auto j = load_json(out / "phantom.json");
  const std::string sr_uid = j["sr"]["sop_instance_uid"];
  const auto got = pacs.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].sop_instance_uid, sr_uid);
  EXPECT_EQ(got[0].modality, "SR");
  EXPECT_FALSE(got[0].analysed);
  EXPECT_NE(got[0].not_analysed_because.find("is not an image"), std::string::npos) << got[0].not_analysed_because;
  EXPECT_TRUE(fs::exists(tmp / "pacs" / "received" / ("SR." + sr_uid + ".dcm")));
  EXPECT_FALSE(fs::exists(tmp / "pacs" / ("SR." + sr_uid + ".json")));
  const std::string line = format_received_line(got[0]);
  EXPECT_NE(line.find("not analysed: a Mammography CAD SR is not an image"), std::string::npos) << line;
}

TEST_F(Loopback, AnalyzeExamSendSrSendsTheExamSrOnly) {
  test::TempDir tmp("calcscope-net-exam");
  RunningListener pacs(tmp / "pacs", "");
  const fs::path out = tmp / "out";
  const auto r = run_cli("analyze " + quoted(*phantom_) + " --exam --output " + quoted(out) + " --send-sr " +
                         pacs.peer_text());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string study = read_image(*phantom_).info.study_instance_uid;
  EXPECT_NE(r.output.find("exam " + study + ": SR sent to " + pacs.peer_text()), std::string::npos) << r.output;
  const auto got = pacs.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].sop_instance_uid, read_mammo_cad_sr(out / (study + ".sr.dcm")).sop_instance_uid);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(pacs.listener().counts().received, 1) << "the per-image SR is not sent in exam mode";
}

TEST_F(Loopback, BadFilesAreReportedAndTheOthersSent) {
  test::TempDir tmp("calcscope-net-bad");
  RunningListener scp(tmp / "out", "");
  const fs::path notes = tmp / "notes.txt";
  std::ofstream(notes) << "this is not DICOM\n";
  const fs::path missing = tmp / "missing.dcm";
  const auto r = run_cli("send " + quoted(notes) + " " + quoted(missing) + " " + quoted(*phantom_) + " --to " +
                         scp.peer_text());
  EXPECT_EQ(r.exit_code, 1) << r.output;  // partial failure
  EXPECT_NE(r.output.find("[unsupported_format]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("notes.txt: not a DICOM file (no DICM preamble and no readable data set)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("[file_not_found]"), std::string::npos) << r.output;
  EXPECT_EQ(test::lines_starting(r.output, "phantom.dcm").size(), 1u) << r.output;
  EXPECT_NE(test::lines_starting(r.output, "phantom.dcm").front().find("sent"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("3 file(s): 1 sent, 2 failed"), std::string::npos) << r.output;
  EXPECT_EQ(scp.wait_for(1).size(), 1u);

  const auto one = run_cli("send " + quoted(notes) + " --to " + scp.peer_text());
  EXPECT_EQ(one.exit_code, 5) << one.output;  // a single file exits with its own code
}

TEST_F(Loopback, ClosedPortGivesAClearErrorAndAnalyzeStillWritesItsFiles) {
  test::TempDir tmp("calcscope-net-closed");
  const int port = test::free_port();
  const std::string to = "PACS@127.0.0.1:" + std::to_string(port);
  const auto r = run_cli("send " + quoted(*phantom_) + " " + quoted(*phantom_) + " --timeout 5 --to " + to);
  EXPECT_EQ(r.exit_code, 13) << r.output;  // the peer is unreachable: nothing sent, whatever the count
  EXPECT_NE(r.output.find("[peer_unreachable]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cannot reach the DICOM peer " + to), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2 file(s): 0 sent, 2 failed"), std::string::npos) << r.output;

  const fs::path out = tmp / "out";
  const auto a = run_cli("analyze " + quoted(*phantom_) + " --output " + quoted(out) + " --timeout 5 --send-sr " + to);
  EXPECT_EQ(a.exit_code, 13) << a.output;
  EXPECT_NE(a.output.find("SR NOT SENT [peer_unreachable]"), std::string::npos) << a.output;
  EXPECT_TRUE(fs::exists(out / "phantom.json"));
  EXPECT_TRUE(fs::exists(out / "phantom.sr.dcm")) << "--send-sr implies --report sr";
}

TEST_F(Loopback, UnacceptedSopClassIsRefusedAndImagesWithoutPixelsAreNotAnalysed) {
  test::TempDir tmp("calcscope-net-classes");
  RunningListener scp(tmp / "out", "");
  test::Crafted ct;
  ct.sop_class = UID_CTImageStorage;
  ct.modality = "CT";
  test::craft(tmp / "ct.dcm", ct);
  for (const char* echo : {"", " --no-echo"}) {  // same answer whether or not C-ECHO shares the association
    const auto r = run_cli("send " + quoted(tmp / "ct.dcm") + echo + " --to " + scp.peer_text());
    EXPECT_EQ(r.exit_code, 15) << r.output;
    EXPECT_NE(r.output.find("[store_failed]"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("does not accept CTImageStorage objects"), std::string::npos) << r.output;
  }

  test::Crafted empty;  // MG SOP class, no Pixel Data
  empty.pixel_data = false;
  test::craft(tmp / "empty.dcm", empty);
  const SendReport rep = send_dicom_files({tmp / "empty.dcm"}, scp.peer());
  ASSERT_EQ(rep.exit_code(), 0) << format_send_report(rep);
  const auto got = scp.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].analysed);
  EXPECT_NE(got[0].not_analysed_because.find("has no Pixel Data"), std::string::npos) << got[0].not_analysed_because;
}

TEST_F(Loopback, ListenerForwardsTheSrItWrites) {
  test::TempDir tmp("calcscope-net-forward");
  RunningListener pacs(tmp / "pacs", "");
  RunningListener cad(tmp / "cad", "", pacs.peer());
  const SendReport rep = send_dicom_files({*phantom_}, cad.peer());
  ASSERT_EQ(rep.exit_code(), 0) << format_send_report(rep);
  const auto done = cad.wait_for(1);
  ASSERT_EQ(done.size(), 1u);
  ASSERT_TRUE(done[0].analysis.ok) << done[0].analysis.message;
  ASSERT_TRUE(done[0].forwarded.has_value());
  EXPECT_TRUE(done[0].forwarded->ok) << done[0].forwarded->message;
  EXPECT_NE(format_received_line(done[0]).find("SR forwarded to " + pacs.peer_text()), std::string::npos)
      << format_received_line(done[0]);
  const auto at_pacs = pacs.wait_for(1);
  ASSERT_EQ(at_pacs.size(), 1u);
  EXPECT_EQ(at_pacs[0].sop_instance_uid, done[0].forwarded->sop_instance_uid);
  EXPECT_EQ(at_pacs[0].modality, "SR");
  const auto c = cad.listener().counts();
  EXPECT_EQ(c.received, 1);
  EXPECT_EQ(c.analysed_ok, 1);
  EXPECT_EQ(c.forwarded, 1);
}

TEST_F(Loopback, ListenCliLogsEachInstanceAndStopsCleanlyOnSigterm) {
  test::TempDir tmp("calcscope-net-cli");
  const int port = test::free_port();
  const fs::path log = tmp / "listen.log";
  test::Child child({CALCSCOPE_CLI, "listen", "--port", std::to_string(port), "--aet", "CALCSCOPE", "--output",
                     (tmp / "out").string(), "--report", "sr"},
                    log);
  ASSERT_TRUE(child.started());
  ASSERT_TRUE(test::wait_until([&] { return test::port_open(port); }, 20)) << test::slurp(log);
  const SendReport rep = send_dicom_files({*phantom_}, {"CALCSCOPE", "127.0.0.1", port});
  ASSERT_EQ(rep.exit_code(), 0) << format_send_report(rep);
  ASSERT_TRUE(test::wait_until([&] { return test::slurp(log).find("analysed in") != std::string::npos; }, 30))
      << test::slurp(log);
  child.signal(SIGTERM);
  EXPECT_EQ(child.wait(15), 0) << test::slurp(log);
  const std::string text = test::slurp(log);
  EXPECT_NE(text.find("listening as CALCSCOPE on port " + std::to_string(port)), std::string::npos) << text;
  EXPECT_EQ(test::count_of(text, "MG " + *phantom_uid_ + " from CALCSCOPE@127.0.0.1: analysed in"), 1u) << text;
  EXPECT_NE(text.find("SIGTERM: stopping"), std::string::npos) << text;
  EXPECT_NE(text.find("stopped: 1 received, 1 analysed, 0 analysis failed, 0 stored only"), std::string::npos) << text;
  EXPECT_TRUE(fs::exists(tmp / "out" / ("MG." + *phantom_uid_ + ".sr.dcm")));
  EXPECT_FALSE(test::port_open(port));
}

TEST_F(Loopback, ListenCliStopsOnSigintAndReportsABusyPort) {
  test::TempDir tmp("calcscope-net-cli2");
  RunningListener busy(tmp / "busy", "");
  const auto r = run_cli("listen --port " + std::to_string(busy.peer().port) + " --output " + quoted(tmp / "x"));
  EXPECT_EQ(r.exit_code, 16) << r.output;
  EXPECT_NE(r.output.find("[listen_failed]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cannot listen on port " + std::to_string(busy.peer().port)), std::string::npos) << r.output;

  const int port = test::free_port();
  const fs::path log = tmp / "listen.log";
  test::Child child({CALCSCOPE_CLI, "listen", "--port", std::to_string(port), "--output", (tmp / "out").string()}, log);
  ASSERT_TRUE(test::wait_until([&] { return test::port_open(port); }, 20)) << test::slurp(log);
  child.signal(SIGINT);
  EXPECT_EQ(child.wait(15), 0) << test::slurp(log);
  EXPECT_NE(test::slurp(log).find("stopped: 0 received"), std::string::npos) << test::slurp(log);
}

}  // namespace
}  // namespace calcscope
