// The patient's summary: plain language, careful and kind, never alarmist, never falsely reassuring.
// The same sections are rendered as text and as HTML.
#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

#include "calcscope/assess/assess.h"
#include "calcscope/report/reports.h"
#include "html_common.h"

namespace calcscope {
namespace report_detail {

std::string breast_words(const std::string& b) {
  return b == "L" ? "left breast" : b == "R" ? "right breast" : "breast";
}

std::string shape_words(const std::string& morphology, const std::string& benign_type) {
  if (morphology == "amorphous") return "very small and faint, without a clear shape";
  if (morphology == "coarse_heterogeneous") return "irregular and of medium size (about half a millimetre to a millimetre)";
  if (morphology == "fine_pleomorphic") return "very small, of different sizes and shapes";
  if (morphology == "fine_linear_branching") return "thin and line-like, some of them branching";
  if (benign_type == "punctate") return "tiny round dots";
  if (benign_type == "round") return "small and round";
  if (benign_type == "coarse_popcorn") return "large and coarse (often called 'popcorn' calcifications)";
  if (benign_type == "rod_like") return "rod-shaped, lying along the milk ducts";
  if (benign_type == "rim") return "ring-shaped, with a hollow centre";
  if (benign_type == "vascular") return "lying along a small blood vessel";
  if (benign_type == "skin") return "in the skin";
  return "of a typically harmless shape";
}

std::string spread_words(const std::string& distribution) {
  if (distribution == "grouped") return "close together in a small area";
  if (distribution == "linear") return "arranged in a line";
  if (distribution == "segmental") return "along one milk duct and its branches";
  if (distribution == "regional") return "spread over a larger area";
  if (distribution == "diffuse") return "scattered throughout the breast";
  return "";
}

/// "about N in 100" for a likelihood, never "0" for a suspicious finding.
static std::string in_100(double p) {
  const int n = std::max(1, static_cast<int>(std::lround(p * 100)));
  return "about " + std::to_string(n) + " in 100";
}

/// " (the computer's estimate for this one is about N in 100)" or "".
static std::string estimate(const Assessment& a, bool with_estimate) {
  return with_estimate ? " (the computer's estimate for this one is " + in_100(a.likelihood_of_malignancy) + ")" : "";
}

std::string category_meaning(const Assessment& a, bool with_estimate) {
  const std::string& c = a.category;
  if (c == "1")
    return "BI-RADS 1, negative: the computer found nothing that needs attention.";
  if (c == "2")
    return "BI-RADS 2, benign: what was found has the typical look of harmless calcifications. Findings like this are "
           "not cancer and need no extra tests.";
  if (c == "3")
    return "BI-RADS 3, probably benign: at most 2 in 100 findings like this turn out to be cancer, so at least 98 in "
           "100 do not. Because the chance is so small, the usual advice is to watch it rather than to biopsy it.";
  if (c == "4A")
    return "BI-RADS 4A, low suspicion: between 2 and 10 in 100 findings like this turn out to be cancer" +
           estimate(a, with_estimate) + ". That means most findings like this, 90 or more in 100, are not cancer; a biopsy is how to know for sure.";
  if (c == "4B")
    return "BI-RADS 4B, moderate suspicion: between 10 and 50 in 100 findings like this turn out to be cancer" +
           estimate(a, with_estimate) + ". Many are not cancer; a biopsy is how to know for sure.";
  if (c == "4C")
    return "BI-RADS 4C, high suspicion: between 50 and 95 in 100 findings like this turn out to be cancer" +
           estimate(a, with_estimate) + ". Some are not; a biopsy is how to know for sure, and it is the first step to any treatment you might need.";
  if (c == "5")
    return "BI-RADS 5, highly suspicious: 95 or more in 100 findings like this turn out to be cancer. A biopsy is needed "
           "to know for sure and to plan the next steps; finding it now is what allows it to be treated.";
  return "BI-RADS 0, incomplete: the computer could not give a final answer for this exam (" + a.reason +
         "). This says nothing about whether anything is wrong; it means more information is needed first.";
}

std::string turn_into_cancer_words() {
  return "No. Calcifications do not turn into cancer. Some cancers, including an early form called DCIS "
         "(ductal carcinoma in situ), produce calcifications, and that is why doctors look closely at their "
         "shape and pattern. A group of benign calcifications can stay the same for the rest of your life.";
}

std::string biopsy_words(const std::string& breast) {
  return "Yes, for the " + breast_words(breast) + ". For calcifications this is usually a stereotactic biopsy: with "
         "the breast held as for a mammogram and under local anaesthetic, a needle takes a few small samples of the "
         "area, guided by X-ray pictures. It takes about an hour and you go home the same day. A biopsy gives a clear "
         "answer that pictures alone cannot give.";
}

std::string patient_css() {
  return "body{font-family:Georgia,'Times New Roman',serif;font-size:1.08em;max-width:720px;"
         "margin:28px auto;line-height:1.55;color:#222;padding:0 12px}h1{font-size:1.45em}h2{font-size:1.15em;"
         "color:#23527c;margin-top:1.5em}.overall{border:1px solid #bcd;background:#f3f8fc;border-radius:8px;"
         "padding:10px 14px}.note{color:#555;font-size:0.92em}";
}

}  // namespace report_detail

namespace {

using report_detail::breast_words;

struct Section {
  std::string title;
  std::vector<std::string> paragraphs;
};

std::string when(const PatientSummary& s, int months) {
  const std::string m = month_after(s.exam_date, months);
  return m.empty() ? std::to_string(months) + " months after this mammogram" : "around " + m + " (" +
                                                                                std::to_string(months) + " months)";
}

std::vector<Section> build(const PatientSummary& s) {
  std::vector<Section> out;
  const Assessment& a = s.assessment;
  const Recommendation& r = a.recommendation;

  Section intro{"About this summary", {}};
  std::string exam = "This summary is about your mammogram";
  if (const std::string d = month_after(s.exam_date, 0); !d.empty()) exam += " of " + d;
  exam += " (" + std::to_string(s.image_count) + (s.image_count == 1 ? " picture)." : " pictures).");
  intro.paragraphs.push_back(exam);
  intro.paragraphs.push_back(
      "It was written by a computer program (calcscope " + std::string(CALCSCOPE_VERSION) +
      ") that gives a second reading of calcifications. It is not a diagnosis. The radiologist who reads your "
      "mammogram writes the report that counts; please talk about it with your doctor.");
  out.push_back(intro);

  Section found{"What was found", {}};
  if (s.findings.empty()) {
    found.paragraphs.push_back("The computer found no group (cluster) of calcifications.");
  } else {
    for (const auto& f : s.findings) {
      std::ostringstream p;
      p << "In your " << breast_words(f.breast);
      if (!f.position.empty()) p << " (" << f.position << ")";
      p << ": a group of " << f.count << " calcifications";
      if (f.extent_mm > 0) p << " over about " << static_cast<int>(std::lround(f.extent_mm)) << " mm";
      p << ". They are " << report_detail::shape_words(f.morphology, f.benign_type);
      if (const auto sw = report_detail::spread_words(f.distribution); !sw.empty()) p << " and " << sw;
      p << ".";
      if (f.seen_in_both_views) p << " It is seen in both pictures of this breast.";
      p << " Category for this group: " << f.category << ", " << category_info(f.category).patient_words << ".";
      if (!f.cautions.empty())
        p << " The computer is not sure about this group: some of its spots are larger than usual for this kind "
             "of group, and it may be one harmless calcification that the computer saw in pieces. Ask the "
             "radiologist to look at it on the pictures.";
      found.paragraphs.push_back(p.str());
    }
  }
  found.paragraphs.push_back(
      "Calcifications are tiny deposits of calcium in the breast tissue. They are very common, especially after the "
      "age of 50, and most of them are harmless.");
  out.push_back(found);

  out.push_back({"What this means and how sure it is", {report_detail::category_meaning(a)}});
  if (!s.missing_views.empty()) {
    std::string mv = "Pictures missing or not readable:";
    for (const auto& v : s.missing_views) mv += " " + v + ";";
    out.back().paragraphs.push_back(mv);
  }
  if (s.input_notes > 0)
    out.back().paragraphs.push_back(
        "The computer made " + std::string(s.input_notes == 1 ? "a note" : std::to_string(s.input_notes) + " notes") +
        " about the picture files it was given (for example, that they had been compressed in a way that loses fine "
        "detail, or that the picture size had to be guessed). These can make its reading less reliable. The "
        "radiologist's version of this report lists them, and a reading of the original images is what counts.");

  out.push_back({"Do calcifications turn into cancer?",
                 {report_detail::turn_into_cancer_words()}});

  Section watch{"Why keep watching, and when to come back", {}};
  if (r.code == "short_interval_follow_up") {
    watch.paragraphs.push_back(
        "A probably benign finding is watched because the best proof that it is harmless is that it does not change. "
        "If it stays the same for 2 to 3 years, it is then called benign.");
    std::ostringstream p;
    p << "Planned checks: a mammogram of your " << breast_words(r.breast) << " " << when(s, 6)
      << ", then of both breasts " << when(s, 12) << " and " << when(s, 24) << ".";
    watch.paragraphs.push_back(p.str());
    watch.paragraphs.push_back("If anything changes before then, or you feel a new lump, contact your doctor sooner.");
  } else if (r.code == "routine_screening") {
    watch.paragraphs.push_back("No extra check is needed for this. Keep going to your routine screening: the next "
                               "mammogram is due " + when(s, 12) + ".");
  } else if (r.code == "additional_imaging") {
    watch.paragraphs.push_back(
        "Before a final answer can be given, more information is needed: extra pictures (for example magnified views "
        "of the area, or a standard picture that is missing) and/or a comparison with your earlier mammograms. Your "
        "clinic will tell you when; it is usually arranged within a few weeks.");
  } else {
    watch.paragraphs.push_back("Watching is not enough for this finding: a biopsy is recommended (see below). Your "
                               "clinic will arrange it, usually within a few weeks.");
  }
  out.push_back(watch);

  Section biopsy{"Is a biopsy recommended?", {}};
  if (r.code == "biopsy") {
    biopsy.paragraphs.push_back(report_detail::biopsy_words(r.breast));
  } else {
    biopsy.paragraphs.push_back("No, not on the basis of this reading.");
  }
  out.push_back(biopsy);

  out.push_back({"A second opinion: what to bring",
                 {"You can always ask for a second opinion. Bring: the images themselves (ask for a copy of the "
                  "mammogram images in their original DICOM format, on a disc or as a download, not only prints), "
                  "this report and the radiologist's written report, and your earlier mammograms from 3 or more years "
                  "back with their reports. Comparing with earlier pictures is often what makes the answer clear."}});
  return out;
}

std::string escape_text(const std::string& s) { return html_escape(s); }

/// The next step in one plain sentence (the radiologist's recommendation text is for professionals).
std::string next_step(const Recommendation& r) {
  if (r.code == "biopsy") return "A biopsy of the calcifications in your " + breast_words(r.breast) + " is recommended.";
  if (r.code == "short_interval_follow_up")
    return "A check-up mammogram of your " + breast_words(r.breast) + " in 6 months is recommended.";
  if (r.code == "additional_imaging") return "More pictures or a comparison with earlier mammograms are needed first.";
  return "Routine screening: your next mammogram in about a year.";
}

}  // namespace

std::string month_after(const std::string& d, int months) {
  if (d.size() != 8 || !std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; })) return "";
  int year = std::stoi(d.substr(0, 4)), month = std::stoi(d.substr(4, 2));
  if (month < 1 || month > 12) return "";
  const int total = (month - 1) + months;
  year += total / 12;
  month = total % 12 + 1;
  static const std::array<const char*, 12> names = {"January", "February", "March",     "April",   "May",      "June",
                                                    "July",    "August",   "September", "October", "November", "December"};
  return std::string(names[month - 1]) + " " + std::to_string(year);
}

PatientSummary patient_summary_for_image(const AnalysisResult& result, const ImageDescription& d) {
  PatientSummary s;
  s.exam_date = result.image_meta_only.info.study_date;
  s.image_count = 1;
  s.input_notes = static_cast<int>(result.image_meta_only.info.warnings.size());
  s.assessment = d.assessment;
  for (const auto& c : d.clusters) {
    PatientFinding f;
    f.breast = result.image_meta_only.info.laterality;
    f.category = c.category;
    f.likelihood_of_malignancy = c.likelihood_of_malignancy;
    f.morphology = c.morphology;
    f.benign_type = c.benign_type;
    f.distribution = c.distribution;
    for (const auto& k : result.clusters)
      if (k.id == c.cluster_id) {
        f.count = k.count;
        f.extent_mm = k.extent_mm;
      }
    f.position = c.position;
    f.cautions = c.cautions;
    s.findings.push_back(f);
  }
  std::stable_sort(s.findings.begin(), s.findings.end(), [](const PatientFinding& a, const PatientFinding& b) {
    return category_info(a.category).severity > category_info(b.category).severity;
  });
  return s;
}

PatientSummary patient_summary_for_exam(const ExamResult& exam) {
  PatientSummary s;
  s.image_count = static_cast<int>(exam.images.size());
  s.assessment = exam.assessment;
  s.missing_views = exam.missing_views;
  for (const auto& e : exam.images) {
    s.input_notes += static_cast<int>(e.input_warnings.size());
    for (const auto& c : e.description.clusters) {
      // A cluster seen in both views is told once (from the CC view).
      if (c.correlated_cluster_id != 0 && e.view == "MLO") continue;
      PatientFinding f;
      f.breast = e.laterality;
      f.category = c.category;
      f.likelihood_of_malignancy = c.likelihood_of_malignancy;
      f.morphology = c.morphology;
      f.benign_type = c.benign_type;
      f.distribution = c.distribution;
      f.count = c.measurements.is_object() && c.measurements.contains("count") ? c.measurements["count"].get<int>() : 0;
      f.extent_mm = c.measurements.is_object() && c.measurements.contains("extent_mm")
                        ? c.measurements["extent_mm"].get<double>() : 0;
      f.position = c.position;
      f.seen_in_both_views = c.correlated_cluster_id != 0;
      f.cautions = c.cautions;
      s.findings.push_back(f);
    }
  }
  std::stable_sort(s.findings.begin(), s.findings.end(), [](const PatientFinding& a, const PatientFinding& b) {
    return category_info(a.category).severity > category_info(b.category).severity;
  });
  return s;
}

std::string patient_summary_text(const PatientSummary& s) {
  std::ostringstream t;
  t << "YOUR MAMMOGRAM: A COMPUTER'S SECOND READING OF CALCIFICATIONS\n";
  for (const auto& sec : build(s)) {
    t << "\n" << sec.title << "\n" << std::string(sec.title.size(), '-') << "\n";
    for (const auto& p : sec.paragraphs) t << p << "\n\n";
  }
  t << "Overall: BI-RADS " << s.assessment.category << ", " << category_info(s.assessment.category).patient_words
    << ". " << next_step(s.assessment.recommendation) << "\n";
  return t.str();
}

std::string patient_summary_html(const PatientSummary& s) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Your mammogram: a computer's second "
       "reading</title><style>"
    << report_detail::patient_css() << "</style></head><body>\n"
    << "<h1>Your mammogram: a computer's second reading of calcifications</h1>\n"
    << "<p class=\"overall\" id=\"overall\"><b>Overall: BI-RADS " << escape_text(s.assessment.category) << " &mdash; "
    << escape_text(category_info(s.assessment.category).patient_words) << ".</b> "
    << escape_text(next_step(s.assessment.recommendation)) << "</p>\n";
  for (const auto& sec : build(s)) {
    h << "<h2>" << escape_text(sec.title) << "</h2>\n";
    for (const auto& p : sec.paragraphs) h << "<p>" << escape_text(p) << "</p>\n";
  }
  h << "<p class=\"note\">Computer second reading, not a diagnosis: the radiologist's report decides.</p>\n"
       "</body></html>\n";
  return h.str();
}

}  // namespace calcscope
