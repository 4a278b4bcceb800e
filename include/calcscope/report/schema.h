// A small JSON Schema validator (the subset our schemas use) and the analysis JSON schema.
//
// Supported keywords: type (a name or an array of names; "integer" accepts 3 and 3.0), required,
// properties, additionalProperties (bool or schema), items (one schema), enum, const, minimum,
// maximum, exclusiveMinimum, exclusiveMaximum (numbers), minItems, maxItems, minLength, maxLength,
// pattern (ECMAScript regex, searched anywhere in the string), $ref ("#", "#/$defs/..." or
// "#/definitions/..."), anyOf, oneOf, allOf, and boolean schemas. Annotations are ignored:
// $schema, $id, $comment, $defs, definitions, title, description, default, examples, deprecated,
// readOnly, writeOnly and any keyword starting with "x-" (we use "x-units").
// Any other keyword is reported as an error, so a schema cannot rely on a check that is not made.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace calcscope {

/// Validates `instance` against `schema`. Returns one human-readable message per problem, each
/// starting with the JSON pointer of the offending value ("/clusters/0/score: ..."; "(root)" for
/// the document itself) and naming the schema location. Problems in the schema itself (unsupported
/// keywords, malformed keyword values, unresolvable $ref) are reported as "schema ..." messages.
/// An empty result means the instance is valid.
std::vector<std::string> validate_json(const nlohmann::json& instance, const nlohmann::json& schema);

/// Where the analysis schema is read from: CALCSCOPE_SOURCE_DIR/schemas/analysis.schema.json.
std::filesystem::path analysis_schema_path();

/// The schema of the analysis JSON (`calcscope analyze` output, DIR/<stem>.json), read once.
/// Throws Error(FileNotFound) when the file is missing, Error(InvalidData) when it is not JSON.
const nlohmann::json& analysis_schema();

}  // namespace calcscope
