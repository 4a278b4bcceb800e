// One error type for the whole project, with its exit code and HTTP status from one table.
#pragma once
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace calcscope {

/// Every failure the library reports. The table in error.cpp maps each to a
/// stable name, a process exit code and an HTTP status; docs/exit-codes.md documents it.
enum class ErrorCode {
  Ok = 0,
  Usage,               ///< wrong command-line arguments
  FileNotFound,        ///< input path does not exist
  Unreadable,          ///< cannot open / read (permissions, I/O error)
  UnsupportedFormat,   ///< neither DICOM nor a supported raster format
  NotAnImage,          ///< DICOM without pixel data: SR, dose report, presentation state...
  NotAMammogram,       ///< an image, but not one we can analyse (colour, multi-frame, wrong modality)
  MissingPixelSize,    ///< no ImagerPixelSpacing/PixelSpacing and no --pixel-size
  InvalidImage,        ///< zero, absurd or inconsistent dimensions, truncated pixel data
  DecodeFailed,        ///< compressed pixel data could not be decoded
  OutputFailed,        ///< could not write an output file
  InvalidData,         ///< malformed input data other than images (truth files, JSON)
  PeerUnreachable,     ///< DICOM network: no TCP connection to the peer, or the association was lost
  AssociationRejected, ///< DICOM network: the peer refused the association (AE titles)
  StoreFailed,         ///< DICOM network: the peer refused an object (C-STORE status, SOP class not accepted)
  ListenFailed,        ///< DICOM network: the listening port could not be opened
  MissingComponent,    ///< a part of calcscope the command needs is not built or installed (the LibTorch trainer module)
  Internal,            ///< a bug: please report
};

struct ErrorInfo {
  ErrorCode code;
  std::string_view name;  ///< stable machine name, e.g. "not_an_image"
  int exit_code;          ///< process exit code of the CLI
  int http_status;        ///< status of the server API
  std::string_view meaning;
};

/// The single table (also printed by `calcscope exit-codes`).
const std::vector<ErrorInfo>& error_table();
const ErrorInfo& error_info(ErrorCode code);

class Error : public std::exception {
 public:
  /// `message` says what went wrong and what to do; `file` names the input concerned (may be empty).
  Error(ErrorCode code, std::string message, std::string file = {});
  ErrorCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& file() const noexcept { return file_; }
  int exit_code() const noexcept { return error_info(code_).exit_code; }
  std::string_view name() const noexcept { return error_info(code_).name; }
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  ErrorCode code_;
  std::string message_;
  std::string file_;
  std::string what_;
};

}  // namespace calcscope
