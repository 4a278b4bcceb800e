// Exam mode: the images of one study (L/R x CC/MLO) described, correlated across views and assessed.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/assess/assess.h"
#include "calcscope/assess/assessment.h"
#include "calcscope/assess/describe.h"
#include "calcscope/core/image.h"
#include "calcscope/pipeline/analyze.h"

namespace calcscope {

/// Version of the exam JSON (<study>.exam.json, kind "calcscope-exam").
inline constexpr const char* kExamSchemaVersion = "1.0.0";

struct ExamParams {
  double correlation_max_difference_mm = 15.0;  ///< |nipple distance CC - MLO| for the same cluster
  bool require_both_breasts = true;             ///< a screening exam has 4 views: a missing breast -> 0
  DescribeParams describe;
  AssessParams assess;
};

/// An image of the study that could not be analysed (still counts as a view, but an unreadable one).
struct UnreadableImage {
  std::string key;         ///< file stem or SOP instance UID
  std::string laterality;  ///< when known from the header
  std::string view;
  std::string reason;      ///< the error message
};

struct ExamImage {
  std::string key;  ///< stem of the source file, else SOP instance UID, else "image<N>"
  std::string laterality, view;
  ImageDescription description;  ///< clusters carry correlated_cluster_id / correlated_image
  std::vector<std::string> input_warnings;  ///< the image's input warnings (ImageInfo::warnings of its analysis)
};

/// One cluster seen in both views of a breast.
struct ClusterCorrelation {
  std::string breast;
  std::string cc_image, mlo_image;
  int cc_cluster = 0, mlo_cluster = 0;
  double cc_nipple_distance_mm = 0, mlo_nipple_distance_mm = 0;
  std::string quadrant;  ///< "upper outer", "upper inner", "lower outer", "lower inner"
  int clock_hour = 0;    ///< 1..12 as the viewer faces the patient
};

struct ExamResult {
  std::string study_instance_uid;
  std::vector<ExamImage> images;
  std::vector<ClusterCorrelation> correlations;
  std::vector<std::string> missing_views;      ///< e.g. "R MLO", or "R MLO (unreadable: ...)"
  std::map<std::string, Assessment> breasts;   ///< "L", "R"
  Assessment assessment;                       ///< exam level: worst breast (BI-RADS hierarchy)
};

/// Groups images by laterality/view, links each CC cluster with an MLO cluster of the same breast at a
/// similar nipple distance (raising both confidences: 1-(1-a)(1-b)), assesses images, breasts and the exam.
/// A breast with a missing (or unreadable) CC or MLO view gets category 0 unless a finding is worse.
ExamResult assess_exam(const std::vector<std::pair<Image, AnalysisResult>>& images,
                       const std::vector<UnreadableImage>& unreadable = {}, const ExamParams& params = {});

/// Key used for an image in the exam: stem of info.source_path, else SOP instance UID, else fallback.
std::string image_key(const ImageInfo& info, const std::string& fallback);

/// {"kind": "calcscope-exam", "schema_version", "study_instance_uid", "images": [...], "correlations",
///  "missing_views", "breasts": {"L": assessment, "R": ...}, "assessment"}
nlohmann::json exam_to_json(const ExamResult& exam);

}  // namespace calcscope
