// Text from files we do not control (DICOM attributes, file names) made safe for UTF-8 outputs.
#pragma once
#include <string>
#include <string_view>

namespace calcscope {

/// `s` unchanged when it is valid UTF-8; otherwise every byte that is not part of a valid UTF-8
/// sequence is read as ISO 8859-1 (Latin-1: byte 0xNN -> U+00NN), the usual character set of DICOM
/// attributes whose file does not declare one (a name written as "M\xfcller" becomes "Müller").
/// The result is always valid UTF-8, so JSON, HTML and SR writers accept it. Pure.
std::string valid_utf8(std::string_view s);

}  // namespace calcscope
