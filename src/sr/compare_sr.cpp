// The prior comparison as a Mammography CAD SR (include/calcscope/sr/compare_sr.h).
#include "calcscope/sr/compare_sr.h"

#include <algorithm>
#include <set>

#include "dcmtk/config/osconfig.h"  // must come first
#include "dcmtk/dcmdata/dcuid.h"

#include "calcscope/core/error.h"

namespace calcscope {
namespace {

constexpr const char* kDigitalMammographyForPresentation = "1.2.840.10008.5.1.4.1.1.1.2";

std::string new_uid() {
  char buf[100];
  dcmGenerateUniqueIdentifier(buf, SITE_INSTANCE_UID_ROOT);
  return buf;
}

/// "YYYY-MM-DD" -> DICOM "YYYYMMDD" (other forms are returned unchanged).
std::string dicom_date(const std::string& date) {
  std::string d;
  for (char c : date) {
    if (c != '-') d += c;
  }
  return d;
}

/// The image's identity for the SR: its DICOM UIDs, or invented ones (raster input, when allowed).
ImageInfo sr_info(const CompareImage& exam, const SrWriteOptions& options, std::vector<std::string>& warnings) {
  if (exam.image == nullptr) throw Error(ErrorCode::Usage, "write_compare_sr: an image of the comparison is missing", exam.file);
  ImageInfo info = exam.image->info;
  if (info.source_path.empty()) info.source_path = exam.file;
  if ((info.sop_instance_uid.empty() || info.sop_class_uid.empty()) && options.allow_missing_uids) {
    if (info.sop_class_uid.empty()) info.sop_class_uid = kDigitalMammographyForPresentation;
    if (info.sop_instance_uid.empty()) info.sop_instance_uid = new_uid();
    if (info.series_instance_uid.empty()) info.series_instance_uid = new_uid();
    if (info.study_instance_uid.empty()) info.study_instance_uid = new_uid();
    warnings.push_back(exam.file + " has no DICOM identity; invented UIDs (the SR references images no PACS has)");
  }
  // the date the comparison used (command line first, else the image's StudyDate)
  if (!exam.date.empty()) info.study_date = dicom_date(exam.date);
  return info;
}

}  // namespace

std::vector<SrTemporalLink> temporal_links_from_changes(const ChangeResult& change, const std::string& current_uid,
                                                        const std::string& prior_sop_class_uid,
                                                        const std::string& prior_uid) {
  std::vector<SrTemporalLink> links;
  for (const ClusterChange& c : change.clusters) {
    if (c.prior_index > 0) continue;  // refers to an older prior (not written)
    SrTemporalLink l;
    l.current = {current_uid, c.current_cluster_id};
    l.prior_sop_class_uid = prior_sop_class_uid;
    l.prior_sop_instance_uid = prior_uid;
    l.prior_cluster_id = c.prior_cluster_id;
    l.difference_in_number_of_calcifications = c.count_now - c.count_then;
    if (c.prior_cluster_id != 0 && c.current_cluster_id != 0 && c.match_distance_mm >= 0)
      l.difference_in_location_mm = c.match_distance_mm;
    l.change = c.change;
    links.push_back(std::move(l));
  }
  return links;
}

SrWriteSummary write_compare_sr(const CompareRun& run, const std::filesystem::path& out, SrWriteOptions options) {
  if (run.priors.empty() || run.prior_analyses.empty())
    throw Error(ErrorCode::Usage, "write_compare_sr: the comparison has no prior image");
  std::vector<std::string> warnings;
  const ImageInfo current_info = sr_info(run.current, options, warnings);
  const ImageInfo prior_info = sr_info(run.priors.front(), options, warnings);

  // the reported clusters (the analysis kept every cluster for matching), and those the changes name
  std::set<int> named;
  for (const ClusterChange& c : run.change.clusters)
    if (c.current_cluster_id != 0 && c.prior_index <= 0) named.insert(c.current_cluster_id);
  AnalysisResult current = run.current_analysis;
  current.clusters.erase(std::remove_if(current.clusters.begin(), current.clusters.end(),
                                        [&](const Cluster& c) {
                                          return c.score < run.report_min_cluster_score && named.count(c.id) == 0;
                                        }),
                         current.clusters.end());

  const Image& now = *run.current.image;
  const Image& then = *run.priors.front().image;
  const AnalysisResult& prior = run.prior_analyses.front();
  const auto size_of = [](const Image& image, const AnalysisResult& r) {
    return std::make_pair(r.image_meta_only.width > 0 ? r.image_meta_only.width : image.width,
                          r.image_meta_only.height > 0 ? r.image_meta_only.height : image.height);
  };
  const auto [w_now, h_now] = size_of(now, current);
  const auto [w_then, h_then] = size_of(then, prior);
  const SrImageInput in{current_info, w_now, h_now, now.pixel_size_mm, &current, &run.current_description};
  options.prior_images = {SrImageInput{prior_info, w_then, h_then, then.pixel_size_mm, &prior, nullptr}};
  options.temporal_links = temporal_links_from_changes(run.change, current_info.sop_instance_uid,
                                                       prior_info.sop_class_uid, prior_info.sop_instance_uid);
  if (options.series_description == SrWriteOptions{}.series_description)
    options.series_description = "calcscope Mammography CAD SR, prior comparison";
  SrWriteSummary summary = write_mammo_cad_sr({in}, {}, out, options);
  summary.warnings.insert(summary.warnings.begin(), warnings.begin(), warnings.end());
  return summary;
}

}  // namespace calcscope
