// DICOM adapter, writing side: Digital Mammography X-Ray Image objects (PS3.3 A.26) with DCMTK,
// compressed with the DCMTK encoders or (JPEG 2000) with OpenJPEG into encapsulated fragments.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrlerp.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djrplol.h>
#include <dcmtk/dcmjpeg/djrploss.h>
#include <dcmtk/dcmjpls/djrparam.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "calcscope/io/image_writer.h"
#include "io/dicom_codecs.h"
#include "io/io_common.h"

namespace calcscope {
namespace {

std::string ds_value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.8g", v);
  return buf;
}

std::string new_uid(const char* root) {
  char buf[100];
  dcmGenerateUniqueIdentifier(buf, root);
  return buf;
}

struct ViewCode {
  const char* view;
  const char* code;
  const char* meaning;
};
// SNOMED CT codes of CID 4014 "View for Mammography".
constexpr ViewCode kViewCodes[] = {
    {"CC", "399162004", "cranio-caudal"},
    {"MLO", "399368009", "medio-lateral oblique"},
    {"ML", "399260004", "medio-lateral"},
    {"LM", "399352003", "latero-medial"},
};

class DatasetWriter {
 public:
  DatasetWriter(DcmDataset& ds, std::string file) : ds_(ds), file_(std::move(file)) {}
  void str(const DcmTagKey& key, const std::string& value) {
    check(ds_.putAndInsertString(key, value.c_str()), key);
  }
  void us(const DcmTagKey& key, Uint16 value) { check(ds_.putAndInsertUint16(key, value), key); }
  void ss(const DcmTagKey& key, Sint16 value) { check(ds_.putAndInsertSint16(key, value), key); }
  void empty_sequence(const DcmTagKey& key) { check(ds_.insertEmptyElement(key), key); }
  DcmItem* code_item(const DcmTagKey& seq, const char* value, const char* scheme, const char* meaning) {
    DcmItem* item = nullptr;
    check(ds_.findOrCreateSequenceItem(seq, item, -2), seq);
    check(item->putAndInsertString(DCM_CodeValue, value), seq);
    check(item->putAndInsertString(DCM_CodingSchemeDesignator, scheme), seq);
    check(item->putAndInsertString(DCM_CodeMeaning, meaning), seq);
    return item;
  }
  void empty_sequence_in(DcmItem& item, const DcmTagKey& key) { check(item.insertEmptyElement(key), key); }

 private:
  void check(const OFCondition& c, const DcmTagKey& key) {
    if (c.bad())
      throw Error(ErrorCode::OutputFailed,
                  std::string("could not set DICOM attribute ") + key.toString().c_str() + ": " + c.text(), file_);
  }
  DcmDataset& ds_;
  std::string file_;
};

std::string patient_orientation(const std::string& laterality, const std::string& view) {
  // Row direction / column direction for the usual hanging (chest wall on the image edge facing the
  // other breast): left breast rows run anterior, right breast rows run posterior.
  const bool left = laterality != "R";
  if (view == "CC") return left ? "A\\R" : "P\\L";
  if (view == "MLO") return left ? "A\\FR" : "P\\FL";
  return left ? "A\\F" : "P\\F";
}

}  // namespace

DicomCompression parse_dicom_compression(const std::string& name) {
  if (name == "none" || name == "uncompressed") return DicomCompression::None;
  if (name == "jpeg-lossless") return DicomCompression::JpegLossless;
  if (name == "jpeg-baseline") return DicomCompression::JpegBaseline;
  if (name == "jpeg-ls") return DicomCompression::JpegLs;
  if (name == "rle") return DicomCompression::Rle;
  if (name == "jpeg2000") return DicomCompression::Jpeg2000;
  throw Error(ErrorCode::Usage, "unknown DICOM compression '" + name +
                                    "': use none, jpeg-lossless, jpeg-baseline, jpeg-ls, rle or jpeg2000");
}

void write_dicom_mg(const Image& image, const std::filesystem::path& path, const DicomWriteOptions& options) {
  const std::string name = io_detail::display_name(path);
  if (image.empty() || image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height))
    throw Error(ErrorCode::Internal, "cannot write an empty or inconsistent image as DICOM", name);
  if (image.width > 65535 || image.height > 65535)
    throw Error(ErrorCode::Usage, "DICOM images are limited to 65535 pixels per side", name);
  if (!(image.pixel_size_mm > 0.0))
    throw Error(ErrorCode::Usage, "the image has no pixel size: DICOM MG needs ImagerPixelSpacing", name);
  if (options.bits_stored < 8 || options.bits_stored > 16)
    throw Error(ErrorCode::Usage, "bits stored must be 8..16, not " + std::to_string(options.bits_stored), name);
  // JPEG extended (process 4) codes exactly 12 bits: data of 9..16 bits is written with 12 bits
  // stored (rather than letting the codec rescale it, which would need a Rescale Slope/Intercept
  // that the DX/MG IODs forbid); 8 bits use baseline process 1.
  const int bits = options.compression == DicomCompression::JpegBaseline ? (options.bits_stored <= 8 ? 8 : 12)
                                                                          : options.bits_stored;
  if (options.photometric != "MONOCHROME1" && options.photometric != "MONOCHROME2")
    throw Error(ErrorCode::Usage, "photometric must be MONOCHROME1 or MONOCHROME2, not '" + options.photometric + "'",
                name);
  const bool processing = options.presentation_intent == "FOR PROCESSING";
  if (!processing && options.presentation_intent != "FOR PRESENTATION")
    throw Error(ErrorCode::Usage,
                "presentation intent must be FOR PRESENTATION or FOR PROCESSING, not '" +
                    options.presentation_intent + "'",
                name);
  if (options.magnification_factor && !(*options.magnification_factor > 0.0))
    throw Error(ErrorCode::Usage, "the magnification factor must be > 0", name);
  const bool monochrome1 = options.photometric == "MONOCHROME1";
  const int bits_allocated = bits <= 8 ? 8 : 16;

  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  DatasetWriter w(ds, name);
  const std::string study_uid = options.study_instance_uid.empty() ? new_uid(SITE_STUDY_UID_ROOT) : options.study_instance_uid;
  const std::string series_uid = options.series_instance_uid.empty() ? new_uid(SITE_SERIES_UID_ROOT) : options.series_instance_uid;
  const std::string sop_uid = options.sop_instance_uid.empty() ? new_uid(SITE_INSTANCE_UID_ROOT) : options.sop_instance_uid;
  const char* sop_class = processing ? UID_DigitalMammographyXRayImageStorageForProcessing
                                     : UID_DigitalMammographyXRayImageStorageForPresentation;
  const bool ascii = std::all_of(options.patient_name.begin(), options.patient_name.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });

  // SOP Common, Patient, General Study, General Series, MG Series
  if (!ascii) w.str(DCM_SpecificCharacterSet, "ISO_IR 192");
  w.str(DCM_SOPClassUID, sop_class);
  w.str(DCM_SOPInstanceUID, sop_uid);
  w.str(DCM_ImageType, "DERIVED\\PRIMARY");
  w.str(DCM_StudyDate, options.study_date);
  w.str(DCM_StudyTime, "120000");
  w.str(DCM_SeriesDate, options.study_date);
  w.str(DCM_ContentDate, options.study_date);
  w.str(DCM_ContentTime, "120000");
  w.str(DCM_AcquisitionDate, options.study_date);
  w.str(DCM_AccessionNumber, "");
  w.str(DCM_Modality, "MG");
  w.str(DCM_PresentationIntentType, processing ? "FOR PROCESSING" : "FOR PRESENTATION");
  w.str(DCM_Manufacturer, options.manufacturer);
  w.str(DCM_ReferringPhysicianName, "");
  w.str(DCM_PatientName, options.patient_name);
  w.str(DCM_PatientID, options.patient_id);
  w.str(DCM_PatientBirthDate, "");
  w.str(DCM_PatientSex, "F");
  w.str(DCM_StudyInstanceUID, study_uid);
  w.str(DCM_SeriesInstanceUID, series_uid);
  w.str(DCM_StudyID, "1");
  w.str(DCM_SeriesNumber, "1");
  w.str(DCM_InstanceNumber, "1");
  w.str(DCM_PatientOrientation, patient_orientation(options.laterality, options.view));
  w.str(DCM_BodyPartExamined, "BREAST");
  // DX Anatomy Imaged, Mammography Image
  w.str(DCM_ImageLaterality, options.laterality);
  w.code_item(DCM_AnatomicRegionSequence, "76752008", "SCT", "Breast");
  w.str(DCM_ViewPosition, options.view);
  bool view_coded = false;
  for (const auto& vc : kViewCodes)
    if (options.view == vc.view) {
      DcmItem* item = w.code_item(DCM_ViewCodeSequence, vc.code, "SCT", vc.meaning);
      w.empty_sequence_in(*item, DCM_ViewModifierCodeSequence);  // Type 2 (PS3.3 C.8.11.7)
      view_coded = true;
    }
  if (!view_coded) w.empty_sequence(DCM_ViewCodeSequence);
  w.str(DCM_PositionerType, "MAMMOGRAPHIC");
  w.str(DCM_BreastImplantPresent, "NO");
  w.str(DCM_PartialView, "NO");
  w.str(DCM_OrganExposed, "BREAST");
  w.empty_sequence(DCM_AcquisitionContextSequence);
  w.str(DCM_DetectorType, options.detector_type);
  w.str(DCM_QualityControlImage, "NO");
  w.str(DCM_BurnedInAnnotation, "NO");
  // DX Detector: spacing
  const double mag = options.magnification_factor.value_or(1.0);
  const double imager_mm = image.pixel_size_mm * mag;
  if (options.write_imager_pixel_spacing)
    w.str(DCM_ImagerPixelSpacing, ds_value(imager_mm) + "\\" + ds_value(imager_mm));
  if (options.write_pixel_spacing)
    w.str(DCM_PixelSpacing, ds_value(image.pixel_size_mm) + "\\" + ds_value(image.pixel_size_mm));
  if (options.magnification_factor) w.str(DCM_EstimatedRadiographicMagnificationFactor, ds_value(mag));
  // Image Pixel, DX Image
  w.us(DCM_SamplesPerPixel, 1);
  w.str(DCM_PhotometricInterpretation, options.photometric);
  w.us(DCM_Rows, static_cast<Uint16>(image.height));
  w.us(DCM_Columns, static_cast<Uint16>(image.width));
  w.us(DCM_BitsAllocated, static_cast<Uint16>(bits_allocated));
  w.us(DCM_BitsStored, static_cast<Uint16>(bits));
  w.us(DCM_HighBit, static_cast<Uint16>(bits - 1));
  w.us(DCM_PixelRepresentation, 0);
  w.str(DCM_RescaleIntercept, "0");
  w.str(DCM_RescaleSlope, "1");
  w.str(DCM_RescaleType, "US");
  const double maxv = static_cast<double>((1 << bits) - 1);
  if (processing) {
    w.str(DCM_PixelIntensityRelationship, "LIN");
    w.ss(DCM_PixelIntensityRelationshipSign, 1);
    w.str(DCM_PresentationLUTShape, monochrome1 ? "INVERSE" : "IDENTITY");
  } else {
    w.str(DCM_PixelIntensityRelationship, "LOG");
    // -1: higher values = less X-ray intensity (dense = high) for MONOCHROME2
    w.ss(DCM_PixelIntensityRelationshipSign, monochrome1 ? 1 : -1);
    w.str(DCM_PresentationLUTShape, monochrome1 ? "INVERSE" : "IDENTITY");
    w.str(DCM_WindowCenter, ds_value(std::round((maxv + 1.0) / 2.0)));
    w.str(DCM_WindowWidth, ds_value(maxv + 1.0));
  }
  const bool lossy = options.compression == DicomCompression::JpegBaseline;
  w.str(DCM_LossyImageCompression, lossy ? "01" : "00");

  // stored values
  const std::size_t n = image.pixels.size();
  std::vector<Uint16> stored(n);
  const double k = std::log(16.0);  // raw range 1:16 (4 stops) between air and the densest tissue
  for (std::size_t i = 0; i < n; ++i) {
    const double v = std::clamp(static_cast<double>(image.pixels[i]), 0.0, 1.0);
    double s = 0.0;
    if (processing) s = maxv * std::exp(-k * v);
    else s = (monochrome1 ? 1.0 - v : v) * maxv;
    stored[i] = static_cast<Uint16>(std::lround(std::clamp(s, 0.0, maxv)));
  }

  E_TransferSyntax xfer = EXS_LittleEndianExplicit;
  if (options.compression == DicomCompression::Jpeg2000) {
    std::vector<std::uint8_t> codestream;
    std::string why;
    if (!io_detail::j2k_encode_lossless(stored.data(), image.width, image.height, bits, codestream, why))
      throw Error(ErrorCode::OutputFailed, "JPEG 2000 encoding failed: " + why, name);
    if (codestream.size() % 2) codestream.push_back(0);  // fragments have even length
    auto sequence = std::make_unique<DcmPixelSequence>(DcmTag(DCM_PixelSequenceTag));
    sequence->insert(std::make_unique<DcmPixelItem>(DcmTag(DCM_Item, EVR_OB)).release());  // empty Basic Offset Table
    DcmOffsetList offsets;
    const OFCondition c = sequence->storeCompressedFrame(offsets, codestream.data(),
                                                         static_cast<Uint32>(codestream.size()), 0);
    if (c.bad()) throw Error(ErrorCode::OutputFailed, std::string("could not store the JPEG 2000 fragment: ") + c.text(), name);
    auto pixel_data = std::make_unique<DcmPixelData>(DCM_PixelData);
    pixel_data->putOriginalRepresentation(EXS_JPEG2000LosslessOnly, nullptr, sequence.release());
    const OFCondition ins = ds.insert(pixel_data.release(), OFTrue);
    if (ins.bad()) throw Error(ErrorCode::OutputFailed, std::string("could not insert PixelData: ") + ins.text(), name);
    xfer = EXS_JPEG2000LosslessOnly;
  } else {
    OFCondition c;
    if (bits_allocated == 8) {
      std::vector<Uint8> bytes(stored.begin(), stored.end());
      c = ds.putAndInsertUint8Array(DCM_PixelData, bytes.data(), static_cast<unsigned long>(n));
    } else {
      c = ds.putAndInsertUint16Array(DCM_PixelData, stored.data(), static_cast<unsigned long>(n));
    }
    if (c.bad()) throw Error(ErrorCode::OutputFailed, std::string("could not store the pixel data: ") + c.text(), name);
    if (options.compression != DicomCompression::None) {
      io_detail::ensure_dicom_encoders();
      const int quality = std::clamp(options.jpeg_quality, 1, 100);
      DJ_RPLossless lossless_params(1, 0);  // process 14 SV1: first-order prediction, no point transform
      DJ_RPLossy lossy_params(quality);
      DJLSRepresentationParameter jpls_params(0, OFTrue);
      DcmRLERepresentationParameter rle_params;
      const DcmRepresentationParameter* rp = nullptr;
      switch (options.compression) {
        case DicomCompression::JpegLossless: xfer = EXS_JPEGProcess14SV1; rp = &lossless_params; break;
        case DicomCompression::JpegBaseline:
          xfer = bits <= 8 ? EXS_JPEGProcess1 : EXS_JPEGProcess2_4;
          rp = &lossy_params;
          break;
        case DicomCompression::JpegLs: xfer = EXS_JPEGLSLossless; rp = &jpls_params; break;
        case DicomCompression::Rle: xfer = EXS_RLELossless; rp = &rle_params; break;
        default: break;
      }
      const OFCondition enc = ds.chooseRepresentation(xfer, rp);
      if (enc.bad() || !ds.canWriteXfer(xfer))
        throw Error(ErrorCode::OutputFailed,
                    std::string("DCMTK could not compress the pixel data as ") + DcmXfer(xfer).getXferName() + " (" +
                        (enc.bad() ? enc.text() : "no encoder") + ")",
                    name);
    }
  }

  const OFCondition saved = file.saveFile(path.c_str(), xfer, EET_ExplicitLength, EGL_recalcGL, EPD_withoutPadding);
  if (saved.bad())
    throw Error(ErrorCode::OutputFailed,
                std::string("could not write the DICOM file (") + saved.text() +
                    "): check that the directory exists and is writable and the disk is not full",
                name);
}

}  // namespace calcscope
