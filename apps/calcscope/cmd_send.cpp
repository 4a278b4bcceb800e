// calcscope send FILE... --to AET@HOST:PORT: thin wrapper over calcscope::send_dicom_files.
#include <cstdio>
#include <memory>

#include "calcscope/net/send.h"
#include "commands.h"

namespace calcscope::cli {

namespace {
struct SendArgs {
  std::vector<std::string> files;
  std::string to;
  std::string calling_aet = "CALCSCOPE";
  int timeout = 30;
  bool no_echo = false;
  bool verbose = false;
};
}  // namespace

void register_send(CLI::App& app, Runner& run) {
  auto a = std::make_shared<SendArgs>();
  auto* sub = app.add_subcommand(
      "send", "Send DICOM files (SRs, images) to a PACS: C-ECHO, then one C-STORE per file (docs/dicom-network.md)");
  sub->add_option("files", a->files, "DICOM files, e.g. OUT/<stem>.sr.dcm")->required();
  sub->add_option("--to", a->to, "the PACS as AET@HOST:PORT, e.g. ORTHANC@127.0.0.1:4242")->required();
  sub->add_option("--calling-aet", a->calling_aet, "our AE title (the PACS may have to know it)")
      ->capture_default_str();
  sub->add_option("--timeout", a->timeout, "seconds to wait for the connection and for each answer")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  sub->add_flag("--no-echo", a->no_echo, "skip the C-ECHO before storing");
  sub->add_flag("-v,--verbose", a->verbose, "show DCMTK's network log on stderr");
  sub->callback([a, &run] {
    run = [a] {
      const DicomPeer peer = parse_dicom_peer(a->to);
      check_ae_title(a->calling_aet, "--calling-aet");
      if (a->verbose) set_dicom_network_verbose(true);
      SendOptions o;
      o.calling_aet = a->calling_aet;
      o.timeout_seconds = a->timeout;
      o.echo = !a->no_echo;
      const std::vector<std::filesystem::path> files(a->files.begin(), a->files.end());
      const SendReport r = send_dicom_files(files, peer, o);
      std::fputs(format_send_report(r).c_str(), stdout);
      std::fflush(stdout);
      for (const auto& f : r.files)
        if (!f.ok)
          std::fprintf(stderr, "calcscope: error [%s]: %s\n", std::string(error_info(f.error).name).c_str(),
                       f.message.c_str());
      return r.exit_code();
    };
  });
}

}  // namespace calcscope::cli
