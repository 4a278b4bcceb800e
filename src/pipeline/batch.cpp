#include "calcscope/pipeline/batch.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "calcscope/report/json_output.h"
#include "calcscope/report/overlay.h"

namespace calcscope {

namespace fs = std::filesystem;

int BatchSummary::failed() const {
  return static_cast<int>(std::count_if(files.begin(), files.end(), [](const FileOutcome& f) { return !f.ok; }));
}

int BatchSummary::exit_code() const {
  const int bad = failed();
  if (bad == 0) return 0;
  if (files.size() == 1) return error_info(files.front().error).exit_code;
  return 1;
}

std::vector<fs::path> expand_inputs(const std::vector<fs::path>& inputs, bool recursive, int* skipped) {
  static const std::set<std::string> not_images = {".json", ".txt", ".html", ".htm", ".md", ".csv", ".xml", ".pdf"};
  std::vector<fs::path> out;
  int skip = 0;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<fs::path> found;
      auto consider = [&](const fs::directory_entry& e) {
        if (!e.is_regular_file()) return;
        const auto name = e.path().filename().string();
        std::string ext = e.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
        if (name.empty() || name[0] == '.' || not_images.count(ext) || name.find(".overlay.") != std::string::npos ||
            name.find(".sr.dcm") != std::string::npos) {
          ++skip;
          return;
        }
        found.push_back(e.path());
      };
      if (recursive) {
        for (const auto& e : fs::recursive_directory_iterator(in, ec)) consider(e);
      } else {
        for (const auto& e : fs::directory_iterator(in, ec)) consider(e);
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(in);  // missing files are reported per file by analyze_file
    }
  }
  if (skipped) *skipped = skip;
  return out;
}

std::vector<std::string> unique_stems(const std::vector<fs::path>& files) {
  std::map<std::string, int> used;
  std::vector<std::string> out;
  for (const auto& f : files) {
    std::string stem = f.stem().string();
    if (stem.empty()) stem = "image";
    const int n = ++used[stem];
    out.push_back(n == 1 ? stem : stem + "_" + std::to_string(n));
  }
  return out;
}

void apply_polarity(Image& image, Polarity polarity, bool whole_image) {
  auto invert = [&] {
    for (float& v : image.pixels) v = 1.f - v;
  };
  if (polarity == Polarity::Normal) return;
  if (polarity == Polarity::Inverted) {
    invert();
    image.info.warnings.push_back("grey levels inverted (--polarity inverted)");
    return;
  }
  if (image.info.format == "dicom" || whole_image || is_patch_sized(image)) return;
  const PolarityEvidence e = polarity_evidence(image);
  if (!e.inverted) return;
  invert();
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "the file looks inverted (background brighter than the tissue: %.0f %% of the image border is in the "
                "bright, flat class): grey levels inverted so that dense tissue is bright; pass --polarity normal to "
                "analyse it as stored",
                100.0 * e.bright_border_fraction);
  image.info.warnings.push_back(buf);
}

FileOutcome write_outputs(const Image& image, const AnalysisResult& result, const fs::path& input,
                          const std::string& stem, const BatchOptions& options) {
  FileOutcome out;
  out.input = input;
  out.stem = stem;
  nlohmann::json j = analysis_to_json(result);
  const ReportRequest& rq = options.reports;
  const fs::path json_path = options.output_dir / (stem + ".json");
  // description + assessment fields (from the reports when asked for); per-cluster BI-RADS words also
  // on the cluster entries themselves (added fields, schema-compatible)
  const auto write_json = [&](const nlohmann::json& extra) {
    for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
    if (j.contains("description") && j["description"].contains("clusters"))
      for (const auto& d : j["description"]["clusters"])
        for (auto& k : j["clusters"])
          if (k["id"] == d.value("cluster_id", -1)) {
            for (const char* f : {"morphology", "distribution", "category", "likelihood_of_malignancy"})
              if (d.contains(f)) k[f] = d[f];
          }
    write_json_file(j, json_path);
  };
  if (rq.html || rq.patient || rq.sr) {
    nlohmann::json extra;
    try {
      extra = write_image_reports(image, result, rq, options.output_dir, stem);
    } catch (const Error&) {
      // a report could not be written (e.g. the header will not go into an SR): the file fails with
      // that error, but the analysis itself is kept
      write_json(describe_and_assess(image, result));
      throw;
    }
    write_json(extra);
  } else {
    write_json(describe_and_assess(image, result));
  }
  out.outputs.push_back(json_path);
  if (options.overlay) {
    const fs::path ov = options.output_dir / (stem + ".overlay.png");
    write_overlay_png(image, result, ov);
    out.outputs.push_back(ov);
  }
  if (rq.sr) out.sr = options.output_dir / (stem + ".sr.dcm");
  if (j.contains("assessment") && j["assessment"].contains("category") && j["assessment"]["category"].is_string())
    out.category = j["assessment"]["category"].get<std::string>();
  out.ok = true;
  out.calcifications = static_cast<int>(result.calcifications.size());
  out.clusters = static_cast<int>(result.clusters.size());
  out.warnings = result.image_meta_only.info.warnings;  // the input's and the analysis's (e.g. analysed as film)
  return out;
}

FileOutcome analyze_file(const fs::path& input, const std::string& stem, const BatchOptions& options,
                         const fs::path& display_name) {
  const auto t0 = std::chrono::steady_clock::now();
  Image image = read_image(input, options.read);
  if (!display_name.empty()) image.info.source_path = display_name.string();
  apply_polarity(image, options.polarity, options.analyze.breast.whole_image);
  const AnalysisResult result = analyze(image, options.analyze);
  FileOutcome out = write_outputs(image, result, display_name.empty() ? input : display_name, stem, options);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

BatchSummary run_batch(const std::vector<fs::path>& inputs, const BatchOptions& options, const ProgressFn& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  BatchSummary summary;
  std::error_code ec;
  fs::create_directories(options.output_dir, ec);
  if (!fs::is_directory(options.output_dir))
    throw Error(ErrorCode::OutputFailed, "cannot create the output directory (check the path and permissions)",
                options.output_dir.string());
  const auto files = expand_inputs(inputs, options.recursive, &summary.skipped_non_images);
  const auto stems = unique_stems(files);
  summary.files.resize(files.size());
  const int total = static_cast<int>(files.size());
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int jobs = std::max(1, std::min(total, options.jobs > 0 ? options.jobs : hw));
  std::atomic<int> next{0};
  std::atomic<int> finished{0};
  std::mutex progress_mutex;
  auto worker = [&] {
    for (int i = next++; i < total; i = next++) {
      FileOutcome o;
      const auto f0 = std::chrono::steady_clock::now();
      try {
        o = analyze_file(files[i], stems[i], options);
      } catch (const Error& e) {
        o.input = files[i];
        o.stem = stems[i];
        o.error = e.code();
        o.message = e.file().empty() ? files[i].string() + ": " + e.message() : e.what();
      } catch (const std::exception& e) {
        o.input = files[i];
        o.stem = stems[i];
        o.error = ErrorCode::Internal;
        o.message = files[i].string() + ": internal error: " + e.what() + " (please report this)";
      }
      o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - f0).count();
      summary.files[i] = o;
      const int done = ++finished;
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        progress(summary.files[i], done, total);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < jobs; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

}  // namespace calcscope
