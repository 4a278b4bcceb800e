// Coded concepts of the Mammography CAD SR (PS3.16 TID 4000 family), as named constants.
//
// One place for every code the writer emits and the reader recognises. Terms from BI-RADS
// context groups carry both their current SNOMED CT (SCT) code and the legacy SNOMED RT (SRT)
// code used by older CAD systems; the reader accepts either (and the retired DCM 111104/111105
// finding codes). Values were checked against DCMTK's dcmsr/codes/dcm.h and the DICOM context
// groups CID 4014, 6010/6011, 6012/6013, 6014/6015, 6022, 6034, 6035, 6036, 6037, 6042, 6043, 6047.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace calcscope::sr {

/// A DICOM coded entry (Code Value, Coding Scheme Designator, Code Meaning).
struct Code {
  std::string_view value;
  std::string_view scheme;
  std::string_view meaning;
};

constexpr bool same_code(const Code& a, std::string_view value, std::string_view scheme) {
  return a.value == value && a.scheme == scheme;
}

// ---- concept names (DCM) --------------------------------------------------------------------
inline constexpr Code kMammographyCadReport{"111036", "DCM", "Mammography CAD Report"};        // TID 4000 row 1
inline constexpr Code kLanguageOfContent{"121049", "DCM", "Language of Content Item and Descendants"};  // TID 1204
inline constexpr Code kImageLibrary{"111028", "DCM", "Image Library"};                          // TID 4000 row 3
inline constexpr Code kImageLibraryGroup{"126200", "DCM", "Image Library Group"};              // read only
inline constexpr Code kImageLaterality{"111027", "DCM", "Image Laterality"};                    // TID 4020 row 2
inline constexpr Code kImageView{"111031", "DCM", "Image View"};                                // TID 4020 row 3
inline constexpr Code kStudyDate{"111060", "DCM", "Study Date"};                                // TID 4020 row 7
inline constexpr Code kStudyTime{"111061", "DCM", "Study Time"};                                // TID 4020 row 8
inline constexpr Code kHorizontalPixelSpacing{"111026", "DCM", "Horizontal Pixel Spacing"};    // TID 4020 row 11
inline constexpr Code kVerticalPixelSpacing{"111066", "DCM", "Vertical Pixel Spacing"};        // TID 4020 row 12
inline constexpr Code kCadProcessingAndFindingsSummary{"111017", "DCM", "CAD Processing and Findings Summary"};  // TID 4001 row 1
inline constexpr Code kIndividualImpression{"111034", "DCM", "Individual Impression/Recommendation"};  // TID 4003 row 1
inline constexpr Code kRenderingIntent{"111056", "DCM", "Rendering Intent"};                    // TID 4003 row 2, TID 4006
inline constexpr Code kSingleImageFinding{"111059", "DCM", "Single Image Finding"};            // TID 4006 row 1
inline constexpr Code kCompositeFeature{"111015", "DCM", "Composite Feature"};                  // TID 4004 row 1
inline constexpr Code kCompositeType{"111016", "DCM", "Composite type"};                        // TID 4005
inline constexpr Code kScopeOfFeature{"111057", "DCM", "Scope of Feature"};                     // TID 4005
inline constexpr Code kAlgorithmName{"111001", "DCM", "Algorithm Name"};                        // TID 4019 row 1
inline constexpr Code kAlgorithmVersion{"111003", "DCM", "Algorithm Version"};                  // TID 4019 row 2
inline constexpr Code kAlgorithmParameters{"111002", "DCM", "Algorithm Parameters"};            // TID 4019 row 3
inline constexpr Code kCenter{"111010", "DCM", "Center"};                                       // TID 4021
inline constexpr Code kOutline{"111041", "DCM", "Outline"};                                     // TID 4021
inline constexpr Code kNumberOfCalcifications{"111038", "DCM", "Number of calcifications"};    // TID 4010
inline constexpr Code kCalcificationType{"111009", "DCM", "Calcification Type"};                // TID 4009/4010
inline constexpr Code kCalcificationDistribution{"111008", "DCM", "Calcification Distribution"};  // TID 4010
inline constexpr Code kCertaintyOfFinding{"111012", "DCM", "Certainty of Finding"};            // TID 4006
inline constexpr Code kCertaintyOfFeature{"111011", "DCM", "Certainty of Feature"};            // TID 4005
inline constexpr Code kProbabilityOfCancer{"111047", "DCM", "Probability of cancer"};          // TID 4006 / 4005
inline constexpr Code kDiameter{"81827009", "SCT", "Diameter"};                                 // TID 1400 (CID 7470)
inline constexpr Code kSummaryOfDetections{"111064", "DCM", "Summary of Detections"};          // TID 4000 row 8
inline constexpr Code kSummaryOfAnalyses{"111065", "DCM", "Summary of Analyses"};              // TID 4000 row 10
inline constexpr Code kSuccessfulDetections{"111063", "DCM", "Successful Detections"};         // TID 4015 row 1
inline constexpr Code kFailedDetections{"111025", "DCM", "Failed Detections"};                 // TID 4015 row 3
inline constexpr Code kSuccessfulAnalyses{"111062", "DCM", "Successful Analyses"};             // TID 4016 row 1
inline constexpr Code kFailedAnalyses{"111024", "DCM", "Failed Analyses"};                     // TID 4016 row 3
inline constexpr Code kDetectionPerformed{"111022", "DCM", "Detection Performed"};             // TID 4017 row 1
inline constexpr Code kAnalysisPerformed{"111004", "DCM", "Analysis Performed"};               // TID 4018 row 1

// ---- values ----------------------------------------------------------------------------------
inline constexpr Code kEnglish{"en", "RFC5646", "English"};
// CID 6047 CAD Processing and Findings Summary
inline constexpr Code kAllSucceededWithoutFindings{"111241", "DCM", "All algorithms succeeded; without findings"};
inline constexpr Code kAllSucceededWithFindings{"111242", "DCM", "All algorithms succeeded; with findings"};
inline constexpr Code kNotAllSucceededWithoutFindings{"111243", "DCM", "Not all algorithms succeeded; without findings"};
inline constexpr Code kNotAllSucceededWithFindings{"111244", "DCM", "Not all algorithms succeeded; with findings"};
// CID 6042 Status of Results
inline constexpr Code kSucceeded{"111222", "DCM", "Succeeded"};
inline constexpr Code kPartiallySucceeded{"111223", "DCM", "Partially Succeeded"};
inline constexpr Code kFailed{"111224", "DCM", "Failed"};
inline constexpr Code kNotAttempted{"111225", "DCM", "Not Attempted"};
// CID 6034 Intended Use of CAD Output (Rendering Intent)
inline constexpr Code kPresentationRequired{"111150", "DCM", "Presentation Required: Rendering device is expected to present"};
inline constexpr Code kPresentationOptional{"111151", "DCM", "Presentation Optional: Rendering device may present"};
inline constexpr Code kNotForPresentation{"111152", "DCM", "Not for Presentation: Rendering device expected not to present"};
// CID 6035 Composite Feature Relation, CID 6036 Feature Scope
inline constexpr Code kRelatedTemporally{"111153", "DCM", "Target content items are related temporally"};
inline constexpr Code kRelatedSpatially{"111154", "DCM", "Target content items are related spatially"};
inline constexpr Code kDetectedOnOnlyOneOfTheImages{"111157", "DCM", "Feature detected on only one of the images"};
inline constexpr Code kDetectedOnMultipleImages{"111158", "DCM", "Feature detected on multiple images"};
// CID 6037 Mammography Quantitative Temporal Difference Type (TID 4005 row 11, NUM concept names;
// there is no DCM code for these: SCT, legacy SRT value in the second constant)
inline constexpr Code kDifferenceInNumberOfCalcifications{"129810007", "SCT", "Difference in number of calcifications"};
inline constexpr Code kDifferenceInNumberOfCalcificationsSrt{"F-017B5", "SRT", "Difference in number of calcifications"};
inline constexpr Code kDifferenceInLocation{"129808005", "SCT", "Difference in location"};
inline constexpr Code kDifferenceInLocationSrt{"F-017B3", "SRT", "Difference in location"};
// CID 6043 Mammography CAD Analysis Type
inline constexpr Code kSpatialCollocationAnalysis{"133884007", "SCT", "Spatial collocation analysis"};
inline constexpr Code kTemporalCorrelation{"133886009", "SCT", "Temporal correlation"};
inline constexpr Code kIndividualImpressionAnalysis{"111233", "DCM", "Individual Impression/Recommendation Analysis"};
// CID 6014/6015 Mammography Single Image Finding (current SCT codes; legacy and retired below)
inline constexpr Code kCalcificationCluster{"129769006", "SCT", "Calcification Cluster"};
inline constexpr Code kCalcificationClusterSrt{"F-01775", "SRT", "Calcification Cluster"};
inline constexpr Code kCalcificationClusterRetired{"111105", "DCM", "Calcification Cluster"};
inline constexpr Code kIndividualCalcification{"129770007", "SCT", "Individual Calcification"};
inline constexpr Code kIndividualCalcificationSrt{"F-01776", "SRT", "Individual Calcification"};
inline constexpr Code kIndividualCalcificationRetired{"111104", "DCM", "Individual Calcification"};
// UCUM units
inline constexpr Code kUnitPercent{"%", "UCUM", "percent"};
inline constexpr Code kUnitMillimeter{"mm", "UCUM", "millimeter"};
inline constexpr Code kUnitMicrometer{"um", "UCUM", "micrometer"};
inline constexpr Code kUnitNone{"1", "UCUM", "no units"};

/// Which coding of the BI-RADS terms to write. Current DICOM uses SCT; SRT and the retired DCM
/// finding codes exist for interoperability tests with older readers (and to exercise our reader).
enum class CodeStyle { Sct, Srt, RetiredDcm };

/// A term of a context group, mapped to calcscope's snake_case word (or "L"/"R"/"CC"/... for
/// laterality and view).
struct Term {
  std::string_view word;
  Code sct;                    ///< current code (SCT, or DCM where the group uses DCM)
  std::string_view srt_value;  ///< legacy SNOMED RT code value, "" if the term never had one
};

const std::vector<Term>& calcification_type_terms();          ///< CID 6011 (via CID 6010)
const std::vector<Term>& calcification_distribution_terms();  ///< CID 6013 (via CID 6012)
const std::vector<Term>& laterality_terms();                  ///< CID 6022 Side
const std::vector<Term>& view_terms();                        ///< CID 4014 View for Mammography

/// nullptr when unknown.
const Term* find_term_by_word(const std::vector<Term>& terms, std::string_view word);
/// Matches the SCT (or DCM) code, the legacy SRT code, or (last resort) the code meaning,
/// case-insensitively. nullptr when unknown.
const Term* find_term_by_code(const std::vector<Term>& terms, std::string_view value, std::string_view scheme,
                              std::string_view meaning = {});

/// The code to write for a term in a given style (SRT falls back to SCT when the term has no SRT code).
Code term_code(const Term& term, CodeStyle style);

/// Cluster / individual calcification finding codes in a given style.
Code calcification_cluster_code(CodeStyle style);
Code individual_calcification_code(CodeStyle style);
/// True for any accepted coding (SCT 129769006, SRT F-01775, retired DCM 111105, or meaning).
bool is_calcification_cluster(std::string_view value, std::string_view scheme, std::string_view meaning = {});
bool is_individual_calcification(std::string_view value, std::string_view scheme, std::string_view meaning = {});

/// "Required" / "Optional" / "Not for Presentation" <-> CID 6034 codes. Unknown words give Required.
Code rendering_intent_code(std::string_view word);
/// "" when the code is not in CID 6034.
std::string rendering_intent_word(std::string_view value, std::string_view scheme);

}  // namespace calcscope::sr
