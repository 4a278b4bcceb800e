// Internal: text helpers shared by the HTML reports (image/exam report, comparison report, patient
// summaries). Not part of the public API. Defined in html_report.cpp, patient_summary.cpp, reports.cpp.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

#include "calcscope/assess/assessment.h"
#include "calcscope/core/image.h"
#include "calcscope/report/reports.h"

namespace calcscope {

namespace report_detail {

// ---- radiologist's HTML (html_report.cpp) ----
std::string fixed(double v, int digits);
/// "fine_linear_branching" -> "fine linear branching".
std::string words(std::string s);
/// "0.8 %" style likelihood of a category (HTML).
std::string likelihood_text(const std::string& category, double p);
/// <!DOCTYPE html> ... <body> with the reports' style sheet (+ extra_css).
std::string page_head(const std::string& title, const std::string& extra_css = {});
/// A category badge (<span class="cat">).
std::string cat_span(const std::string& category);
/// "Computer second reading, not a diagnosis" note with the version.
std::string second_reading_note();
/// Patient, study date, accession, laterality/view and file line.
std::string identity(const ImageInfo& info);

// ---- patient wording (patient_summary.cpp) ----
std::string breast_words(const std::string& laterality);
std::string shape_words(const std::string& morphology, const std::string& benign_type);
std::string spread_words(const std::string& distribution);
/// What a category means and how sure it is; with_estimate = false leaves out the computer's own
/// likelihood (when the category comes from a change, not from the likelihood).
std::string category_meaning(const Assessment& a, bool with_estimate = true);
/// "No. Calcifications do not turn into cancer. ..."
std::string turn_into_cancer_words();
/// The stereotactic biopsy explained (for a "biopsy" recommendation of `breast`).
std::string biopsy_words(const std::string& breast);
/// Style sheet of the patient pages (without <style>).
std::string patient_css();

// ---- files (reports.cpp) ----
/// Writes a report file; throws Error(OutputFailed) when it cannot.
void write_text(const std::filesystem::path& path, const std::string& text);

}  // namespace report_detail
}  // namespace calcscope
