#include "calcscope/core/error.h"

namespace calcscope {

const std::vector<ErrorInfo>& error_table() {
  static const std::vector<ErrorInfo> table = {
      {ErrorCode::Ok, "ok", 0, 200, "success"},
      {ErrorCode::Usage, "usage", 2, 400, "invalid command-line arguments or options"},
      {ErrorCode::FileNotFound, "file_not_found", 3, 404, "the input path does not exist"},
      {ErrorCode::Unreadable, "unreadable", 4, 400, "the input exists but cannot be read"},
      {ErrorCode::UnsupportedFormat, "unsupported_format", 5, 415,
       "the input is neither DICOM nor PNG/PGM/TIFF"},
      {ErrorCode::NotAnImage, "not_an_image", 6, 422,
       "DICOM object without pixel data (structured report, dose report, ...)"},
      {ErrorCode::NotAMammogram, "not_a_mammogram", 7, 422,
       "an image that cannot be analysed as a mammogram (colour, multi-frame, ...)"},
      {ErrorCode::MissingPixelSize, "missing_pixel_size", 8, 422,
       "no pixel size in the file and none given with --pixel-size"},
      {ErrorCode::InvalidImage, "invalid_image", 9, 422,
       "zero, absurd (too large or too small) or inconsistent dimensions, or truncated pixel data"},
      {ErrorCode::DecodeFailed, "decode_failed", 10, 422, "compressed pixel data could not be decoded"},
      {ErrorCode::OutputFailed, "output_failed", 11, 500, "an output file could not be written"},
      {ErrorCode::InvalidData, "invalid_data", 12, 422, "a non-image input (truth, JSON) is malformed, or an image header value cannot go into the requested SR"},
      {ErrorCode::PeerUnreachable, "peer_unreachable", 13, 502,
       "DICOM network: the peer could not be reached (connection refused, unknown host, timeout) or the "
       "association was lost"},
      {ErrorCode::AssociationRejected, "association_rejected", 14, 502,
       "DICOM network: the peer refused the association (called or calling AE title not accepted)"},
      {ErrorCode::StoreFailed, "store_failed", 15, 502,
       "DICOM network: the peer refused to store an object (C-STORE failure status, or it does not accept the "
       "object's SOP class or transfer syntax)"},
      {ErrorCode::ListenFailed, "listen_failed", 16, 500,
       "DICOM network: the listening port could not be opened (in use, or below 1024 without privileges)"},
      {ErrorCode::MissingComponent, "missing_component", 17, 500,
       "a part of calcscope the command needs is not built or installed (calcscope train's network trainer "
       "module)"},
      {ErrorCode::Internal, "internal", 70, 500, "internal error (a bug): please report it"},
  };
  return table;
}

const ErrorInfo& error_info(ErrorCode code) {
  for (const auto& e : error_table())
    if (e.code == code) return e;
  return error_table().back();
}

Error::Error(ErrorCode code, std::string message, std::string file)
    : code_(code), message_(std::move(message)), file_(std::move(file)) {
  what_ = file_.empty() ? message_ : file_ + ": " + message_;
}

}  // namespace calcscope
