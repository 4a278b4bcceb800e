// Report entry points: describe + assess an image, write the HTML / patient / SR files.
#include "calcscope/report/reports.h"

#include <fstream>

#include "calcscope/assess/assess.h"
#include "calcscope/assess/describe.h"
#include "calcscope/core/error.h"
#include "calcscope/report/json_output.h"
#include "calcscope/sr/mammo_cad_sr.h"
#include "html_common.h"

namespace calcscope {
namespace report_detail {

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(ErrorCode::OutputFailed, "cannot create the report file: check that the directory exists and is writable", path.string());
  out << text;
  out.close();
  if (!out) throw Error(ErrorCode::OutputFailed, "could not write the report file completely (disk full?)", path.string());
}

}  // namespace report_detail

namespace {

using report_detail::write_text;

const ImageInfo& info_of(const Image& image, const AnalysisResult& result) {
  return result.image_meta_only.info.source_path.empty() && result.image_meta_only.info.laterality.empty()
             ? image.info : result.image_meta_only.info;
}

SrImageInput sr_input(const Image& image, const AnalysisResult& result, const ImageDescription& d) {
  const ImageInfo& info = info_of(image, result);
  const int w = result.image_meta_only.width > 0 ? result.image_meta_only.width : image.width;
  const int h = result.image_meta_only.height > 0 ? result.image_meta_only.height : image.height;
  const double px = result.image_meta_only.pixel_size_mm > 0 ? result.image_meta_only.pixel_size_mm : image.pixel_size_mm;
  return SrImageInput{info, w, h, px, &result, &d};
}

SrWriteOptions sr_options(const ImageInfo& info) {
  SrWriteOptions o;
  // Raster and phantom inputs have no DICOM identity: the SR then invents UIDs (demo/test use only).
  o.allow_missing_uids = info.format != "dicom";
  return o;
}

nlohmann::json sr_summary_json(const SrWriteSummary& s) {
  return {{"path", s.path.string()},
          {"sop_instance_uid", s.sop_instance_uid},
          {"series_instance_uid", s.series_instance_uid},
          {"study_instance_uid", s.study_instance_uid},
          {"clusters", s.clusters},
          {"calcifications", s.calcifications},
          {"spatial_links", s.spatial_links},
          {"warnings", s.warnings}};
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

ReportRequest parse_report_request(const std::string& list) {
  ReportRequest r;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto end = list.find(',', start);
    const std::string word = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (word == "html") r.html = true;
    else if (word == "patient") r.patient = true;
    else if (word == "sr") r.sr = true;
    else if (!word.empty()) throw Error(ErrorCode::Usage, "unknown report '" + word + "': use html, patient, sr");
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return r;
}

ImageDescription describe_and_assess_image(const Image& image, const AnalysisResult& result) {
  ImageDescription d = describe_image(image, result);
  assess_image(d, info_of(image, result).laterality);
  return d;
}

nlohmann::json describe_and_assess(const Image& image, const AnalysisResult& result) {
  return description_to_json(describe_and_assess_image(image, result));
}

nlohmann::json write_image_reports(const Image& image, const AnalysisResult& result, const ReportRequest& request,
                                   const std::filesystem::path& dir, const std::string& stem) {
  const ImageDescription d = describe_and_assess_image(image, result);
  if (request.html) write_text(dir / (stem + ".report.html"), image_report_html(image, result, d));
  if (request.patient) {
    PatientSummary s = patient_summary_for_image(result, d);
    if (s.exam_date.empty()) s.exam_date = image.info.study_date;
    write_text(dir / (stem + ".patient.html"), patient_summary_html(s));
    write_text(dir / (stem + ".patient.txt"), patient_summary_text(s));
  }
  nlohmann::json j = description_to_json(d);
  if (request.sr) {
    const SrImageInput in = sr_input(image, result, d);
    const SrWriteSummary sum = write_mammo_cad_sr({in}, {}, dir / (stem + ".sr.dcm"), sr_options(in.info));
    j["sr"] = sr_summary_json(sum);
  }
  return j;
}

nlohmann::json write_exam_reports(const ExamResult& exam, const std::vector<std::pair<Image, AnalysisResult>>& images,
                                  const ReportRequest& request, const std::filesystem::path& dir,
                                  const std::string& study) {
  nlohmann::json j = exam_to_json(exam);
  write_text(dir / (study + ".exam.json"), json_text(j, 2) + "\n");
  if (request.html) write_text(dir / (study + ".report.html"), exam_report_html(exam, images));
  if (request.patient) {
    PatientSummary s = patient_summary_for_exam(exam);
    if (!images.empty()) s.exam_date = info_of(images.front().first, images.front().second).study_date;
    write_text(dir / (study + ".patient.html"), patient_summary_html(s));
    write_text(dir / (study + ".patient.txt"), patient_summary_text(s));
  }
  if (request.sr) {
    std::vector<SrImageInput> inputs;
    for (std::size_t i = 0; i < images.size() && i < exam.images.size(); ++i)
      inputs.push_back(sr_input(images[i].first, images[i].second, exam.images[i].description));
    if (!inputs.empty()) {
      const SrWriteSummary sum = write_mammo_cad_sr(inputs, spatial_links_from_descriptions(inputs),
                                                    dir / (study + ".sr.dcm"), sr_options(inputs.front().info));
      j["sr"] = sr_summary_json(sum);
      write_text(dir / (study + ".exam.json"), json_text(j, 2) + "\n");
    }
  }
  return j;
}

}  // namespace calcscope
