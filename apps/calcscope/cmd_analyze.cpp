// calcscope analyze FILE|DIR... --output DIR: thin wrapper over calcscope::run_batch.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "calcscope/net/send.h"
#include "calcscope/pipeline/batch.h"
#include "commands.h"

namespace calcscope::cli {

namespace {
struct AnalyzeArgs {
  std::vector<std::string> inputs;
  std::string output = ".";
  double pixel_size_mm = 0;
  double min_score = -1;
  double min_calcification_score = -1;
  double min_cluster_score = -1;
  bool overlay = false;
  std::string reports;
  int jobs = 0;
  bool recursive = false;
  bool quiet = false;
  bool whole_image = false;
  bool native_resolution = false;
  bool no_patch_model = false;
  bool no_grey_window = false;
  std::string polarity = "auto";
  bool exam = false;
  std::string send_sr;
  std::string calling_aet = "CALCSCOPE";
  int timeout = 30;
};
}  // namespace

void register_analyze(CLI::App& app, Runner& run) {
  auto a = std::make_shared<AnalyzeArgs>();
  auto* sub = app.add_subcommand("analyze", "Find calcifications and clusters; write DIR/<stem>.json per image");
  sub->add_option("inputs", a->inputs, "DICOM, PNG, PGM or TIFF files, or directories of them")->required();
  sub->add_option("-o,--output", a->output, "output directory (created if needed)")->required();
  sub->add_option("--pixel-size", a->pixel_size_mm,
                  "pixel size in mm (required for PNG/PGM/TIFF; overrides the DICOM tags)")
      ->check(CLI::Range(0.005, 2.0));
  sub->add_option("--min-score", a->min_score,
                  "score cut for calcifications and clusters (default: the recommended operating point; 0 = all "
                  "candidates, for FROC curves)")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--min-calcification-score", a->min_calcification_score, "score cut for calcifications only")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--min-cluster-score", a->min_cluster_score, "score cut for clusters only")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_flag("--overlay", a->overlay, "also write DIR/<stem>.overlay.png (breast outline, calcifications, clusters)");
  sub->add_option("--report", a->reports,
                  "reports to write beside the JSON: any of html,patient,sr (<stem>.report.html, <stem>.patient.html, "
                  "<stem>.sr.dcm)");
  sub->add_option("-j,--jobs", a->jobs, "parallel workers (default: all cores)")->check(CLI::Range(0, 256));
  sub->add_flag("-r,--recursive", a->recursive, "descend into sub-directories");
  sub->add_flag("-q,--quiet", a->quiet, "no progress display or summary table");
  sub->add_flag("--exam", a->exam,
                "exam mode: images of one study (Study Instance UID, or one directory for raster files) are "
                "assessed together (CC-MLO correlation, per-breast and exam category); writes DIR/<study>.exam.json "
                "and, with --report, DIR/<study>.report.html, .patient.html/.txt, .sr.dcm");
  sub->add_option("--polarity", a->polarity,
                  "grey-level polarity: auto (DICOM by its tags; a PNG/PGM/TIFF whose background is brighter than the "
                  "tissue is inverted, with a warning), normal (as stored), inverted")
      ->check(CLI::IsMember({"auto", "normal", "inverted"}));
  sub->add_flag("--whole-image", a->whole_image,
                "treat the whole image as breast tissue (patches and crops: no breast segmentation)");
  sub->add_flag("--no-patch-model", a->no_patch_model,
                "on a patch (an image analysed whole, under 50 mm a side, digital pixels) keep the image model's "
                "calcification scores and cut instead of the patch model's (docs/algorithms.md §3b)");
  sub->add_flag("--no-grey-window", a->no_grey_window,
                "digital images: analyse the grey levels as stored instead of mapping the breast's tissue range onto "
                "the range the models were trained on (docs/algorithms.md §2)");
  sub->add_flag("--native-resolution", a->native_resolution,
                "analyse at the input's pixel size even when the image is film resampled to digital-size pixels "
                "(no power above film's resolution: then it is analysed as film by default; docs/algorithms.md)");
  sub->add_option("--send-sr", a->send_sr,
                  "after writing each <stem>.sr.dcm, send it to this PACS, AET@HOST:PORT (implies --report sr; with "
                  "--exam the exam SR <study>.sr.dcm is sent); docs/dicom-network.md");
  sub->add_option("--calling-aet", a->calling_aet, "our AE title for --send-sr")->capture_default_str();
  sub->add_option("--timeout", a->timeout, "seconds to wait for the PACS (--send-sr)")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  sub->callback([a, &run] {
    run = [a] {
      std::optional<DicomPeer> sr_peer;
      SendOptions send_options;
      if (!a->send_sr.empty()) {
        sr_peer = parse_dicom_peer(a->send_sr);
        check_ae_title(a->calling_aet, "--calling-aet");
        send_options.calling_aet = a->calling_aet;
        send_options.timeout_seconds = a->timeout;
        send_options.echo = false;  // one association per SR: the C-STORE answer says it all
        init_dicom_network();       // before the batch's worker threads start (sets TCP_NODELAY)
      }
      BatchOptions o;
      if (a->pixel_size_mm > 0) o.read.pixel_size_mm = a->pixel_size_mm;
      o.output_dir = a->output;
      o.overlay = a->overlay;
      o.jobs = a->jobs;
      o.recursive = a->recursive;
      o.analyze.breast.whole_image = a->whole_image;
      o.analyze.check_resolution = !a->native_resolution;
      o.analyze.patch_model = !a->no_patch_model;
      o.analyze.grey_window = !a->no_grey_window;
      o.polarity = a->polarity == "normal" ? Polarity::Normal
                   : a->polarity == "inverted" ? Polarity::Inverted
                                               : Polarity::Auto;
      o.reports = parse_report_request(a->reports);
      if (sr_peer) o.reports.sr = true;
      o.analyze.min_calcification_score = a->min_calcification_score >= 0 ? a->min_calcification_score : a->min_score;
      o.analyze.min_cluster_score = a->min_cluster_score >= 0 ? a->min_cluster_score : a->min_score;
      std::vector<std::filesystem::path> inputs(a->inputs.begin(), a->inputs.end());
      const bool tty = isatty(STDERR_FILENO) && !a->quiet;
      // --send-sr: each SR is sent as soon as its file is done (called under the batch's progress lock)
      std::map<std::string, SentFile> sent;  // by output stem
      auto send_sr = [&](const std::filesystem::path& sr) {
        SentFile r = send_dicom_files({sr}, *sr_peer, send_options).files.front();
        if (!r.ok)
          std::fprintf(stderr, "calcscope: error [%s]: SR not sent: %s\n", std::string(error_info(r.error).name).c_str(),
                       r.message.c_str());
        return r;
      };
      auto progress = [tty, &sr_peer, &sent, &send_sr, exam = a->exam](const FileOutcome& f, int done, int total) {
        if (!f.ok) {
          if (tty) std::fprintf(stderr, "\r\033[K");
          std::fprintf(stderr, "calcscope: error [%s]: %s\n", std::string(error_info(f.error).name).c_str(),
                       f.message.c_str());
        }
        if (sr_peer && !exam && f.ok && !f.sr.empty()) {
          if (tty) std::fprintf(stderr, "\r\033[K");
          sent[f.stem] = send_sr(f.sr);
        }
        if (tty) std::fprintf(stderr, "\r\033[K[%d/%d] %s", done, total, f.input.filename().string().c_str());
        if (tty && done == total) std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
      };
      if (a->exam) {
        const auto exams = run_exams(inputs, o, progress);
        int failed = 0, n = 0, srs = 0, srs_failed = 0;
        ErrorCode send_error = ErrorCode::Ok;
        for (const auto& e : exams) {
          std::printf("exam %s: %zu image(s), BI-RADS %s -> %s\n", e.study.c_str(), e.files.size(), e.category.c_str(),
                      e.outputs.front().string().c_str());
          for (const auto& f : e.files) {
            ++n;
            if (!f.ok) ++failed;
          }
          const auto sr = o.output_dir / (e.study + ".sr.dcm");
          if (sr_peer && std::filesystem::exists(sr)) {
            ++srs;
            const SentFile r = send_sr(sr);
            if (r.ok) {
              std::printf("exam %s: SR sent to %s in %.2f s (%s)\n", e.study.c_str(), sr_peer->to_string().c_str(),
                          r.seconds, r.sop_instance_uid.c_str());
            } else {
              ++srs_failed;
              send_error = r.error;
              std::printf("exam %s: SR NOT SENT [%s] %s\n", e.study.c_str(),
                          std::string(error_info(r.error).name).c_str(), r.message.c_str());
            }
          }
        }
        if (n == 0) {
          std::fprintf(stderr, "calcscope: error [usage]: no input files found in the given paths\n");
          return error_info(ErrorCode::Usage).exit_code;
        }
        if (failed) return 1;
        if (srs_failed) return srs == 1 ? error_info(send_error).exit_code : 1;
        return 0;
      }
      const BatchSummary s = run_batch(inputs, o, progress);
      if (!a->quiet) {
        std::printf("%-32s %-7s %8s %8s %7s  %s\n", "file", "status", "calcs", "clusters", "sec", "output / error");
        for (const auto& f : s.files) {
          if (f.ok)
            std::printf("%-32s %-7s %8d %8d %7.2f  %s\n", f.input.filename().string().c_str(), "ok", f.calcifications,
                        f.clusters, f.seconds, f.outputs.empty() ? "" : f.outputs.front().string().c_str());
          else
            std::printf("%-32s %-7s %8s %8s %7.2f  [%s] %s\n", f.input.filename().string().c_str(), "FAILED", "-",
                        "-", f.seconds, std::string(error_info(f.error).name).c_str(), f.message.c_str());
          for (const auto& w : f.warnings) std::printf("%-32s warning: %s\n", "", w.c_str());
          if (const auto it = sent.find(f.stem); f.ok && it != sent.end()) {
            if (it->second.ok)
              std::printf("%-32s SR sent to %s in %.2f s (%s)\n", "", sr_peer->to_string().c_str(), it->second.seconds,
                          it->second.sop_instance_uid.c_str());
            else
              std::printf("%-32s SR NOT SENT [%s] %s\n", "", std::string(error_info(it->second.error).name).c_str(),
                          it->second.message.c_str());
          }
        }
        std::printf("%zu file(s): %zu ok, %d failed", s.files.size(), s.files.size() - s.failed(), s.failed());
        if (s.skipped_non_images) std::printf(", %d non-image file(s) skipped", s.skipped_non_images);
        if (sr_peer) {
          int ok = 0;
          for (const auto& [stem, r] : sent) ok += r.ok ? 1 : 0;
          std::printf(", %d SR(s) sent to %s", ok, sr_peer->to_string().c_str());
          if (ok < static_cast<int>(sent.size())) std::printf(", %d NOT sent", static_cast<int>(sent.size()) - ok);
        }
        std::printf(", %.2f s\n", s.seconds);
      }
      if (s.files.empty()) {
        std::fprintf(stderr, "calcscope: error [usage]: no input files found in the given paths\n");
        return error_info(ErrorCode::Usage).exit_code;
      }
      // A failed send counts like a failed file: a single input exits with the send's code, a batch with 1.
      const int rc = s.exit_code();
      if (rc != 0) return rc;
      for (const auto& [stem, r] : sent)
        if (!r.ok) return s.files.size() == 1 ? error_info(r.error).exit_code : 1;
      return 0;
    };
  });
}

}  // namespace calcscope::cli
