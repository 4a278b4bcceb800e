// The patient's summary of a comparison with prior mammograms: what changed since which date, what
// that means for the category, what happens next (with dates). Plain, kind words, never alarmist and
// never falsely reassuring; the wording helpers are the image summary's (patient_summary.cpp).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "calcscope/assess/assess.h"
#include "calcscope/report/compare_report.h"
#include "html_common.h"

namespace calcscope {
namespace {

using report_detail::breast_words;

struct Section {
  std::string title;
  std::vector<std::string> paragraphs;
  std::string id;  ///< HTML id of the section
};

/// "2024-05-01" -> "May 2024" ("" when unknown).
std::string month_of(const std::string& iso, int plus_months = 0) {
  std::string d = iso;
  d.erase(std::remove(d.begin(), d.end(), '-'), d.end());
  return month_after(d, plus_months);
}

/// "your mammogram of April 2023" or "your earlier mammogram" when the date is unknown.
std::string mammogram_of(const std::string& iso) {
  const std::string m = month_of(iso);
  return m.empty() ? std::string("your earlier mammogram") : "your mammogram of " + m;
}

/// 7 -> "7 months", 12 -> "1 year", 30 -> "about 2 and a half years".
std::string duration_words(double months) {
  const int m = static_cast<int>(std::lround(months));
  if (m < 1) return "less than a month";
  if (m == 1) return "1 month";
  if (m < 12) return std::to_string(m) + " months";
  const int halves = static_cast<int>(std::lround(months / 6.0));  // half years
  const int years = halves / 2;
  const bool half = halves % 2 == 1;
  const bool exact = std::abs(months - 6.0 * halves) < 0.5;
  std::string s = exact ? "" : "about ";
  s += std::to_string(years) + (half ? " and a half years" : years == 1 ? " year" : " years");
  return s;
}

std::string count_words(int n) { return std::to_string(n) + (n == 1 ? " calcification" : " calcifications"); }

/// When a planned check falls: "around November 2024" (or "in 6 months" without dates).
std::string check_when(const std::string& iso_date, int months_from_now) {
  const std::string m = month_of(iso_date);
  if (!m.empty()) return "around " + m;
  return months_from_now > 0 ? "in about " + std::to_string(months_from_now) + " months" : "at the planned time";
}

int change_rank(const std::string& change) {
  if (change == "new") return 0;
  if (change == "increased") return 1;
  if (change == "decreased") return 2;
  if (change == "stable") return 3;
  return 4;  // resolved
}

const ClusterAssessmentChange* assessment_for(const CompareRun& run, const ClusterChange& c) {
  for (const auto& a : run.assessment.clusters)
    if (a.current_cluster_id == c.current_cluster_id && a.prior_cluster_id == c.prior_cluster_id && a.change == c.change)
      return &a;
  return nullptr;
}

std::string prior_date_of(const CompareRun& run, const ClusterChange& c) {
  const std::size_t pi = c.prior_index >= 0 && static_cast<std::size_t>(c.prior_index) < run.priors.size()
                             ? static_cast<std::size_t>(c.prior_index) : 0;
  return run.priors.empty() ? std::string() : run.priors[pi].date;
}

std::string pattern_words(const ClusterChange& c) {
  std::string out;
  if (c.distribution_changed && !c.distribution_now.empty()) {
    const std::string w = report_detail::spread_words(c.distribution_now);
    if (!w.empty()) out += " Their pattern has changed: they are now " + w + ".";
  }
  if (c.morphology_changed && !c.morphology_now.empty() && c.morphology_now != "typically_benign")
    out += " Their shape has changed: they now look " + report_detail::shape_words(c.morphology_now, "") + ".";
  return out;
}

/// After "looked at more closely": reassurance only where the category allows it (never for 4B and above).
std::string closer_look(const ClusterAssessmentChange* a) {
  if (a && category_rank(a->category_after) >= category_rank("4B")) return " Looking closer is the way to know what they are.";
  return " Many such changes turn out to be harmless, but looking closer is the way to be sure.";
}

/// One finding, in words.
std::string finding_words(const CompareRun& run, const ClusterChange& c, const std::string& breast) {
  const ClusterAssessmentChange* a = assessment_for(run, c);
  const std::string when_then = mammogram_of(prior_date_of(run, c));
  std::ostringstream p;
  if (c.change == "new") {
    p << "New: a small group of " << count_words(c.count_now) << " in your " << breast << " that was not seen on "
      << when_then << ".";
    if (c.morphology_now == "typically_benign") {
      p << " They have the typical look of harmless calcifications.";
    } else {
      if (!c.morphology_now.empty()) p << " They are " << report_detail::shape_words(c.morphology_now, "") << ".";
      p << " New calcifications are looked at more closely, simply because they are new." << closer_look(a);
    }
  } else if (c.change == "increased") {
    p << "Grown: a group of calcifications in your " << breast << " that was already there on " << when_then
      << " now has more of them (about " << c.count_then << " then, " << c.count_now << " now";
    if (c.extent_mm_then > 0 && c.extent_mm_now > 0)
      p << ", over about " << std::lround(c.extent_mm_now) << " mm instead of " << std::lround(c.extent_mm_then) << " mm";
    p << "). A group that grows is looked at more closely." << closer_look(a);
  } else if (c.change == "decreased") {
    p << "Fewer: a group of calcifications in your " << breast << " has fewer of them than on " << when_then
      << " (about " << c.count_then << " then, " << c.count_now
      << " now). Calcifications that become fewer are usually not a worrying sign; your radiologist still looks at it.";
  } else if (c.change == "stable") {
    const std::string since = c.stable_since.empty() ? prior_date_of(run, c) : c.stable_since;
    const double months = a && a->stable_months >= 0 ? a->stable_months
                          : (!since.empty() && !run.current.date.empty()) ? months_between(since, run.current.date) : -1;
    const bool pattern = c.morphology_changed || c.distribution_changed;
    p << (pattern ? "Unchanged in number" : "Unchanged");
    if (months >= 0) p << " for " << duration_words(months);
    if (pattern)
      p << ": a group of calcifications in your " << breast << " has about as many of them as on " << mammogram_of(since)
        << " (" << c.count_then << " then, " << c.count_now << " now).";
    else
      p << ": a group of " << count_words(c.count_now) << " in your " << breast << " looks the same as on "
        << mammogram_of(since) << ".";
    if (pattern)
      p << pattern_words(c) << " A change of pattern is looked at more closely." << closer_look(a);
    else if (a && a->category_after == "2" && a->category_before != "2" && a->category_before != "1")
      p << " Calcifications that stay the same for 2 years or more are considered benign (harmless).";
    else if (a && category_rank(a->category_after) >= category_rank("4A"))
      p << " Staying the same is a good sign, but because of their shape the doctors still want to look at them more "
           "closely.";
    else if (a && a->category_after == "3")
      p << " Staying the same is a good sign. They are watched until they have stayed the same for 2 years.";
    else
      p << " Staying the same is a good sign.";
  } else {  // resolved
    p << "No longer seen: a group of " << count_words(c.count_then) << " seen on " << when_then
      << " is not seen any more. Calcifications can fade or disappear over time; this is usually not a worrying sign.";
  }
  if (c.change == "increased" || c.change == "decreased") p << pattern_words(c);
  return p.str();
}

/// "1 new group, 1 group that has grown, 2 unchanged groups, 1 group no longer seen."
std::string in_short(const CompareRun& run) {
  int n[5] = {0, 0, 0, 0, 0};
  for (const auto& c : run.change.clusters) ++n[change_rank(c.change)];
  std::vector<std::string> parts;
  const auto add = [&](int k, const char* one, const char* many) {
    if (n[k] > 0) parts.push_back(std::to_string(n[k]) + " " + (n[k] == 1 ? one : many));
  };
  add(0, "new group of calcifications", "new groups of calcifications");
  add(1, "group that has grown", "groups that have grown");
  add(2, "group with fewer calcifications", "groups with fewer calcifications");
  add(3, "unchanged group", "unchanged groups");
  add(4, "group no longer seen", "groups no longer seen");
  if (parts.empty()) return "no group of calcifications in either mammogram.";
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i)
    s += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  return s + ".";
}

std::string after_category(const CompareRun& run) {
  const std::string& a = run.assessment.category_after;
  return a.empty() ? run.current_description.assessment.category : a;
}

std::string before_category(const CompareRun& run) {
  const std::string& b = run.assessment.category_before;
  return b.empty() ? run.current_description.assessment.category : b;
}

/// The planned checks (category 3 surveillance) of the finding whose next check comes first.
const ClusterAssessmentChange* surveillance(const CompareRun& run) {
  const ClusterAssessmentChange* best = nullptr;
  for (const auto& a : run.assessment.clusters) {
    if (a.follow_up.empty()) continue;
    if (!best || (!a.next_follow_up_date.empty() &&
                  (best->next_follow_up_date.empty() || a.next_follow_up_date < best->next_follow_up_date)))
      best = &a;
  }
  return best;
}

std::string next_step(const CompareRun& run, const std::string& breast) {
  const std::string& code = run.assessment.recommendation;
  if (code == "biopsy") return "A biopsy of the calcifications in your " + breast + " is recommended.";
  if (code == "short_interval_follow_up") {
    const ClusterAssessmentChange* s = surveillance(run);
    const std::string date = !run.assessment.next_follow_up_date.empty() ? run.assessment.next_follow_up_date
                             : s ? s->next_follow_up_date : std::string();
    return "A check-up mammogram of your " + breast + " " + check_when(date, 6) + " is recommended.";
  }
  if (code == "routine_screening")
    return "Routine screening: your next mammogram " + check_when(run.current.date.empty() ? "" : add_months(run.current.date, 12), 12) + ".";
  return "Your radiologist will decide what happens next.";
}

std::vector<Section> build(const CompareRun& run) {
  std::vector<Section> out;
  const ImageInfo& info = run.current_analysis.image_meta_only.info;
  const std::string breast = breast_words(info.laterality);
  const std::string prior_date = run.priors.empty() ? std::string() : run.priors.front().date;

  Section intro{"About this summary", {}, "about"};
  std::ostringstream p;
  p << "This summary compares " << (month_of(run.current.date).empty() ? std::string("your latest mammogram")
                                                                       : "your mammogram of " + month_of(run.current.date))
    << " with " << mammogram_of(prior_date);
  if (run.priors.size() > 1) {
    p << " and " << (run.priors.size() == 2 ? "an older one" : std::to_string(run.priors.size() - 1) + " older ones");
    std::vector<std::string> older;
    for (std::size_t i = 1; i < run.priors.size(); ++i)
      if (!month_of(run.priors[i].date).empty()) older.push_back(month_of(run.priors[i].date));
    if (!older.empty()) {
      p << " (";
      for (std::size_t i = 0; i < older.size(); ++i) p << (i ? ", " : "") << older[i];
      p << ")";
    }
  }
  p << ", looking at calcifications in your " << breast << ".";
  intro.paragraphs.push_back(p.str());
  intro.paragraphs.push_back(
      "It was written by a computer program (calcscope " + std::string(CALCSCOPE_VERSION) +
      ") that gives a second reading of calcifications. It is not a diagnosis. The radiologist who reads your "
      "mammograms writes the report that counts; please talk about it with your doctor.");
  out.push_back(intro);

  Section changed{"What changed since " + (month_of(prior_date).empty() ? std::string("your earlier mammogram")
                                                                      : month_of(prior_date)),
                  {}, "changes"};
  changed.paragraphs.push_back("In short: " + in_short(run));
  std::vector<const ClusterChange*> order;
  for (const auto& c : run.change.clusters) order.push_back(&c);
  std::stable_sort(order.begin(), order.end(), [](const ClusterChange* a, const ClusterChange* b) {
    return change_rank(a->change) < change_rank(b->change);
  });
  for (const auto* c : order) changed.paragraphs.push_back(finding_words(run, *c, breast));
  changed.paragraphs.push_back(
      "Calcifications are tiny deposits of calcium in the breast tissue. They are very common, especially after the "
      "age of 50, and most of them are harmless.");
  out.push_back(changed);

  // the category before and after the comparison
  const std::string before = before_category(run), after = after_category(run);
  Section meaning{"What this means for the category", {}, "category"};
  if (!after.empty()) {
    std::ostringstream m;
    if (!before.empty() && before != after) {
      m << "Looking at today's mammogram alone, the computer's category was BI-RADS " << before << ", "
        << category_info(before).patient_words << ". Compared with your earlier mammograms it is BI-RADS " << after
        << ", " << category_info(after).patient_words;
      bool any_new = false, any_grown = false, any_stable_benign = false;
      for (const auto& a : run.assessment.clusters) {
        any_new |= a.change == "new" && category_rank(a.category_after) > category_rank(a.category_before);
        any_grown |= a.change == "increased";
        any_stable_benign |= a.change == "stable" && a.category_after == "2" && a.category_before != a.category_after;
      }
      if (category_rank(after) > category_rank(before))
        m << (any_new ? ", because there is something new" : any_grown ? ", because a group has grown"
                                                                      : ", because of the change since then");
      else if (any_stable_benign)
        m << ", because the calcifications have stayed the same for 2 years or more";
      m << ".";
    } else {
      m << "Compared with your earlier mammograms the category stays BI-RADS " << after << ", "
        << category_info(after).patient_words << ".";
    }
    meaning.paragraphs.push_back(m.str());
    Assessment a = run.current_description.assessment;
    a.category = after;
    if (a.reason.empty()) a.reason = run.assessment.recommendation_text;
    // the computer's own likelihood belongs to the image alone: leave it out when the comparison changed the category
    meaning.paragraphs.push_back(report_detail::category_meaning(a, after == run.current_description.assessment.category));
  } else {
    meaning.paragraphs.push_back("The computer could not give a category for this comparison.");
  }
  out.push_back(meaning);

  Section next{"What happens next", {}, "next"};
  const std::string& code = run.assessment.recommendation;
  if (code == "short_interval_follow_up") {
    const ClusterAssessmentChange* s = surveillance(run);
    std::ostringstream n;
    n << "A probably benign finding is watched because the best proof that it is harmless is that it does not "
         "change.";
    next.paragraphs.push_back(n.str());
    std::ostringstream d;
    if (s && !s->follow_up.empty()) {
      const double elapsed = !s->baseline_date.empty() && !run.current.date.empty()
                                 ? months_between(s->baseline_date, run.current.date) : 0.0;
      for (std::size_t i = 0; i < s->follow_up.size(); ++i) {
        const auto& f = s->follow_up[i];
        const int in_months = static_cast<int>(std::lround(f.months_from_baseline - elapsed));
        d << (i == 0 ? "Next check: a mammogram of your " + breast + " " : i + 1 == s->follow_up.size() ? " and " : ", ")
          << check_when(f.date, in_months);
        if (!f.date.empty()) d << " (" << f.date << ")";
      }
      d << ". If the calcifications stay the same until then, they are called benign and you go back to routine "
           "screening.";
    } else {
      d << "Next check: a mammogram of your " << breast << " "
        << check_when(run.assessment.next_follow_up_date, 6) << ".";
    }
    next.paragraphs.push_back(d.str());
    next.paragraphs.push_back("If anything changes before then, or you feel a new lump, contact your doctor sooner.");
  } else if (code == "routine_screening") {
    next.paragraphs.push_back(
        "No extra check is needed for this. Keep going to your routine screening: the next mammogram is due " +
        check_when(run.current.date.empty() ? std::string() : add_months(run.current.date, 12), 12) + ".");
  } else if (code == "biopsy") {
    next.paragraphs.push_back("Watching is not enough for this change: a biopsy is recommended (see below). Your clinic "
                              "will arrange it, usually within a few weeks.");
  } else {
    next.paragraphs.push_back("Your radiologist will decide what happens next, and your clinic will tell you.");
  }
  out.push_back(next);

  Section biopsy{"Is a biopsy recommended?", {}, "biopsy"};
  biopsy.paragraphs.push_back(code == "biopsy" ? report_detail::biopsy_words(info.laterality)
                                               : "No, not on the basis of this reading.");
  out.push_back(biopsy);

  out.push_back({"Why compare with earlier mammograms?",
                 {"Comparing with earlier pictures is one of the best ways to judge calcifications. A group that stays "
                  "the same for 2 years or more is almost always harmless. New or growing calcifications, or ones "
                  "whose pattern changes, are looked at more closely."},
                 "why"});
  out.push_back({"Do calcifications turn into cancer?", {report_detail::turn_into_cancer_words()}, "cancer"});

  Section how{"How the computer compared the pictures", {}, "how"};
  how.paragraphs.push_back(
      "Your breast is never positioned exactly the same way twice, so the computer first lined up the earlier picture "
      "with the new one and then looked for the same groups of calcifications in both. It can miss a change or see "
      "one that is not there; that is why the radiologist looks at the pictures too.");
  bool poor = false;
  for (const auto& r : run.registrations) poor |= !r.warnings.empty();
  if (poor)
    how.paragraphs.push_back("The pictures could not be lined up as well as usual, so this comparison is less certain "
                             "than usual. The radiologist will compare them directly.");
  out.push_back(how);
  return out;
}

std::string overall(const CompareRun& run) {
  const ImageInfo& info = run.current_analysis.image_meta_only.info;
  const std::string after = after_category(run);
  const std::string prior = month_of(run.priors.empty() ? std::string() : run.priors.front().date);
  std::string s = "Compared with " + (prior.empty() ? std::string("your earlier mammogram") : "your mammogram of " + prior) +
                  ": " + in_short(run);
  if (!after.empty()) s += " Overall: BI-RADS " + after + ", " + category_info(after).patient_words + ".";
  return s + " " + next_step(run, breast_words(info.laterality));
}

}  // namespace

std::string compare_patient_text(const CompareRun& run) {
  std::ostringstream t;
  t << "YOUR MAMMOGRAM COMPARED WITH EARLIER ONES: A COMPUTER'S SECOND READING OF CALCIFICATIONS\n\n"
    << overall(run) << "\n";
  for (const auto& sec : build(run)) {
    t << "\n" << sec.title << "\n" << std::string(sec.title.size(), '-') << "\n";
    for (const auto& p : sec.paragraphs) t << p << "\n\n";
  }
  t << "Computer second reading, not a diagnosis: the radiologist's report decides.\n";
  return t.str();
}

std::string compare_patient_html(const CompareRun& run) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Your mammogram compared with earlier "
       "ones: a computer's second reading</title><style>"
    << report_detail::patient_css() << "</style></head><body>\n"
    << "<h1>Your mammogram compared with earlier ones: a computer's second reading of calcifications</h1>\n"
    << "<p class=\"overall\" id=\"overall\"><b>" << html_escape(overall(run)) << "</b></p>\n";
  for (const auto& sec : build(run)) {
    h << "<h2 id=\"" << sec.id << "\">" << html_escape(sec.title) << "</h2>\n";
    for (const auto& p : sec.paragraphs) h << "<p>" << html_escape(p) << "</p>\n";
  }
  h << "<p class=\"note\">Computer second reading, not a diagnosis: the radiologist's report decides.</p>\n"
       "</body></html>\n";
  return h.str();
}

}  // namespace calcscope
