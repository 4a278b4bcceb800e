// calcscope listen --port P --aet AET --output DIR: thin wrapper over calcscope::StorageListener.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <thread>

#include "calcscope/net/listen.h"
#include "commands.h"

namespace calcscope::cli {

namespace {
struct ListenArgs {
  int port = 11112;
  std::string aet = "CALCSCOPE";
  std::string output;
  std::string reports;
  bool overlay = false;
  std::string forward_sr;
  std::string calling_aet = "CALCSCOPE";
  int timeout = 30;
  bool verbose = false;
};

std::atomic<int> g_signal{0};
extern "C" void on_stop_signal(int sig) { g_signal = sig; }

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return, the loops look at the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

std::string now_text() {
  const std::time_t t = std::time(nullptr);
  std::tm tm {};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}
}  // namespace

void register_listen(CLI::App& app, Runner& run) {
  auto a = std::make_shared<ListenArgs>();
  auto* sub = app.add_subcommand(
      "listen",
      "DICOM C-STORE receiver: stores mammograms sent to it, analyses each as `analyze` does and writes the same "
      "outputs to DIR; Ctrl-C / SIGTERM stops (docs/dicom-network.md)");
  sub->add_option("--port", a->port, "TCP port to listen on")->check(CLI::Range(1, 65535))->capture_default_str();
  sub->add_option("--aet", a->aet, "our AE title")->capture_default_str();
  sub->add_option("-o,--output", a->output,
                  "output directory: DIR/received/<MODALITY>.<SOP Instance UID>.dcm and DIR/<that stem>.json + reports")
      ->required();
  sub->add_option("--report", a->reports, "reports to write beside the JSON: any of html,patient,sr (as analyze)");
  sub->add_flag("--overlay", a->overlay, "also write DIR/<stem>.overlay.png");
  sub->add_option("--forward-sr", a->forward_sr,
                  "send each SR written to this PACS, AET@HOST:PORT (implies --report sr)");
  sub->add_option("--calling-aet", a->calling_aet, "our AE title when forwarding")->capture_default_str();
  sub->add_option("--timeout", a->timeout, "seconds: association and message timeouts (incoming and forwarding)")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  sub->add_flag("-v,--verbose", a->verbose, "show DCMTK's network log on stderr");
  sub->callback([a, &run] {
    run = [a] {
      ListenOptions o;
      o.port = a->port;
      o.aet = a->aet;
      o.timeout_seconds = a->timeout;
      o.analysis.output_dir = a->output;
      o.analysis.reports = parse_report_request(a->reports);
      o.analysis.overlay = a->overlay;
      o.analysis.jobs = 1;
      if (!a->forward_sr.empty()) {
        o.forward_sr = parse_dicom_peer(a->forward_sr);
        o.analysis.reports.sr = true;
        o.forward.calling_aet = a->calling_aet;
        o.forward.timeout_seconds = a->timeout;
        o.forward.echo = false;
      }
      if (a->verbose) set_dicom_network_verbose(true);
      StorageListener listener(o, [](const ReceivedInstance& r) {
        std::printf("%s %s\n", now_text().c_str(), format_received_line(r).c_str());
        std::fflush(stdout);
      });
      install_stop_handlers();
      listener.start();
      std::printf("%s listening as %s on port %d: received objects in %s, outputs in %s%s%s (Ctrl-C stops)\n",
                  now_text().c_str(), a->aet.c_str(), a->port, (std::filesystem::path(a->output) / "received").c_str(),
                  a->output.c_str(), o.forward_sr ? ", SRs forwarded to " : "",
                  o.forward_sr ? o.forward_sr->to_string().c_str() : "");
      std::fflush(stdout);
      while (g_signal == 0 && listener.running()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (g_signal != 0) {
        std::printf("%s %s: stopping after the association in progress; %d received object(s) still to analyse\n",
                    now_text().c_str(), g_signal == SIGINT ? "SIGINT" : "SIGTERM", listener.pending());
        std::fflush(stdout);
      }
      listener.stop();
      const auto c = listener.counts();
      std::printf("%s stopped: %d received, %d analysed, %d analysis failed, %d stored only", now_text().c_str(),
                  c.received, c.analysed_ok, c.analysis_failed, c.not_analysed);
      if (o.forward_sr) std::printf(", %d SR(s) forwarded, %d not", c.forwarded, c.forward_failed);
      std::printf("\n");
      std::fflush(stdout);
      if (g_signal == 0) {  // the serving loop ended by itself: an error, not a request
        std::fprintf(stderr, "calcscope: error [listen_failed]: the listener stopped unexpectedly (run with -v)\n");
        return error_info(ErrorCode::ListenFailed).exit_code;
      }
      return 0;
    };
  });
}

}  // namespace calcscope::cli
