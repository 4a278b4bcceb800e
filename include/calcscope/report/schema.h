// A small JSON Schema validator (the subset our schemas use) and the output JSON schemas, embedded
// into the library at build time so an installed binary needs no source tree.
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

/// The schemas embedded into the library at build time (cmake/EmbedModels.cmake, calcscope_embed_schemas), by name:
/// "analysis" (`calcscope analyze` output) and "compare" (`calcscope compare` output).
const std::vector<std::string>& schema_names();

/// The text of schemas/<name>.schema.json exactly as it was when calcscope was built (what
/// `calcscope schema NAME` prints). Throws Error(Usage) for a name not in schema_names().
const std::string& schema_text(const std::string& name);

/// The embedded schema `name`, parsed once. Throws Error(Usage) for an unknown name and
/// Error(Internal) when the embedded text is not JSON (a broken build).
const nlohmann::json& schema_json(const std::string& name);

/// The source file the embedded analysis schema was made from (CALCSCOPE_SOURCE_DIR/schemas/
/// analysis.schema.json): for tests and tooling only, never read at run time.
std::filesystem::path analysis_schema_path();
/// Same for the compare schema (CALCSCOPE_SOURCE_DIR/schemas/compare.schema.json).
std::filesystem::path compare_schema_path();

/// The schema of the analysis JSON (`calcscope analyze` output, DIR/<stem>.json), embedded.
const nlohmann::json& analysis_schema();

/// The schema of the comparison JSON (`calcscope compare` output, DIR/<stem>.compare.json), embedded.
const nlohmann::json& compare_schema();

}  // namespace calcscope
