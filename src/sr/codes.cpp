// Context-group tables of the Mammography CAD SR and lookups between them and calcscope's words.
#include "calcscope/sr/codes.h"

#include <algorithm>
#include <cctype>

namespace calcscope::sr {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

const std::vector<Term>& calcification_type_terms() {
  // CID 6011 "Calcification Type from BI-RADS" (included by CID 6010). Our morphology and
  // benign_type words first; the remaining group members are read with a word of their own.
  static const std::vector<Term> terms = {
      {"amorphous", {"129760005", "SCT", "Amorphous calcification"}, "F-0176C"},
      {"coarse_heterogeneous", {"129763007", "SCT", "Heterogeneous calcification"}, "F-0176F"},
      {"fine_pleomorphic", {"111344", "DCM", "Fine pleomorphic calcification"}, ""},
      {"fine_linear_branching", {"129762002", "SCT", "Fine linear, branching (casting) calcification"}, "F-0176E"},
      {"punctate", {"129755006", "SCT", "Punctate calcification"}, "F-01767"},
      {"round", {"129756007", "SCT", "Round shaped calcification"}, "F-01768"},
      {"coarse_popcorn", {"129749001", "SCT", "Coarse (popcorn-like) calcification"}, "F-01761"},
      {"rod_like", {"129752009", "SCT", "Large rod-like calcification"}, "F-01764"},
      {"rim", {"129751002", "SCT", "Eggshell calcification"}, "F-01763"},
      {"vascular", {"129759000", "SCT", "Vascular calcification"}, "F-0176B"},
      {"skin", {"129757003", "SCT", "Calcified skin of breast"}, "F-01769"},
      // read-only members of the group
      {"fine_linear", {"129761009", "SCT", "Fine, linear (casting) calcification"}, "F-0176D"},
      {"dystrophic", {"129750001", "SCT", "Dystrophic calcification"}, "F-01762"},
      {"milk_of_calcium", {"129753004", "SCT", "Milk of calcium calcification"}, "F-01765"},
      {"lucent_centered", {"129754005", "SCT", "Lucent-centered calcification"}, "F-01766"},
      {"suture", {"129758008", "SCT", "Calcified suture material"}, "F-0176A"},
      {"microcalcifications", {"44771000", "SCT", "Microcalcifications of the breast"}, "D7-90435"},
      {"macrocalcifications", {"111345", "DCM", "Macrocalcifications"}, ""},
  };
  return terms;
}

const std::vector<Term>& calcification_distribution_terms() {
  // CID 6013 "Calcification Distribution Modifier from BI-RADS" (included by CID 6012)
  static const std::vector<Term> terms = {
      {"grouped", {"129766004", "SCT", "Grouped calcification distribution"}, "F-01772"},
      {"linear", {"129765000", "SCT", "Linear calcification distribution"}, "F-01771"},
      {"segmental", {"129768003", "SCT", "Segmental calcification distribution"}, "F-01774"},
      {"regional", {"129767008", "SCT", "Regional calcification distribution"}, "F-01773"},
      {"diffuse", {"129764001", "SCT", "Diffuse calcification distribution"}, "F-01770"},
  };
  return terms;
}

const std::vector<Term>& laterality_terms() {
  // CID 6022 Side
  static const std::vector<Term> terms = {
      {"R", {"24028007", "SCT", "Right"}, "G-A100"},
      {"L", {"7771000", "SCT", "Left"}, "G-A101"},
  };
  return terms;
}

const std::vector<Term>& view_terms() {
  // CID 4014 View for Mammography (words as in ViewPosition (0018,5101))
  static const std::vector<Term> terms = {
      {"CC", {"399162004", "SCT", "cranio-caudal"}, "R-10242"},
      {"MLO", {"399368009", "SCT", "medio-lateral oblique"}, "R-10226"},
      {"ML", {"399260004", "SCT", "medio-lateral"}, "R-10224"},
      {"LM", {"399352003", "SCT", "latero-medial"}, "R-10228"},
      {"LMO", {"399099002", "SCT", "latero-medial oblique"}, "R-10230"},
      {"FB", {"399196006", "SCT", "caudo-cranial (from below)"}, "R-10216"},
      {"SIO", {"399188001", "SCT", "superolateral to inferomedial oblique"}, "R-102D0"},
      {"ISO", {"441555000", "SCT", "inferomedial to superolateral oblique"}, ""},
      {"XCCL", {"399192008", "SCT", "cranio-caudal exaggerated laterally"}, "R-1024A"},
      {"XCCM", {"399101009", "SCT", "cranio-caudal exaggerated medially"}, "R-1024B"},
  };
  return terms;
}

const Term* find_term_by_word(const std::vector<Term>& terms, std::string_view word) {
  for (const Term& t : terms) {
    if (iequals(t.word, word)) return &t;
  }
  return nullptr;
}

const Term* find_term_by_code(const std::vector<Term>& terms, std::string_view value, std::string_view scheme,
                              std::string_view meaning) {
  for (const Term& t : terms) {
    if (same_code(t.sct, value, scheme)) return &t;
    if (!t.srt_value.empty() && t.srt_value == value && (scheme == "SRT" || scheme == "SNM3" || scheme == "99SDM")) {
      return &t;
    }
  }
  if (!meaning.empty()) {
    for (const Term& t : terms) {
      if (iequals(t.sct.meaning, meaning)) return &t;
    }
  }
  return nullptr;
}

Code term_code(const Term& term, CodeStyle style) {
  if (style != CodeStyle::Sct && !term.srt_value.empty()) return Code{term.srt_value, "SRT", term.sct.meaning};
  return term.sct;
}

Code calcification_cluster_code(CodeStyle style) {
  switch (style) {
    case CodeStyle::Srt: return kCalcificationClusterSrt;
    case CodeStyle::RetiredDcm: return kCalcificationClusterRetired;
    case CodeStyle::Sct: break;
  }
  return kCalcificationCluster;
}

Code individual_calcification_code(CodeStyle style) {
  switch (style) {
    case CodeStyle::Srt: return kIndividualCalcificationSrt;
    case CodeStyle::RetiredDcm: return kIndividualCalcificationRetired;
    case CodeStyle::Sct: break;
  }
  return kIndividualCalcification;
}

bool is_calcification_cluster(std::string_view value, std::string_view scheme, std::string_view meaning) {
  for (const Code& c : {kCalcificationCluster, kCalcificationClusterSrt, kCalcificationClusterRetired}) {
    if (same_code(c, value, scheme)) return true;
  }
  if (value == "F-01775" && scheme == "SNM3") return true;
  return !meaning.empty() && iequals(meaning, "Calcification Cluster");
}

bool is_individual_calcification(std::string_view value, std::string_view scheme, std::string_view meaning) {
  for (const Code& c : {kIndividualCalcification, kIndividualCalcificationSrt, kIndividualCalcificationRetired}) {
    if (same_code(c, value, scheme)) return true;
  }
  if (value == "F-01776" && scheme == "SNM3") return true;
  return !meaning.empty() && iequals(meaning, "Individual Calcification");
}

Code rendering_intent_code(std::string_view word) {
  if (iequals(word, "Optional")) return kPresentationOptional;
  if (iequals(word, "Not for Presentation")) return kNotForPresentation;
  return kPresentationRequired;
}

std::string rendering_intent_word(std::string_view value, std::string_view scheme) {
  if (same_code(kPresentationRequired, value, scheme)) return "Required";
  if (same_code(kPresentationOptional, value, scheme)) return "Optional";
  if (same_code(kNotForPresentation, value, scheme)) return "Not for Presentation";
  return {};
}

}  // namespace calcscope::sr
