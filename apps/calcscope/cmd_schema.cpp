// `calcscope schema analysis|compare`: prints the JSON Schema of an output, embedded at build time.
#include <iostream>
#include <memory>
#include <string>

#include "calcscope/core/error.h"
#include "calcscope/report/schema.h"
#include "commands.h"

namespace calcscope::cli {

void register_schema(CLI::App& app, Runner& run) {
  auto* sub = app.add_subcommand("schema", "Print the JSON Schema of an output: analysis or compare");
  auto name = std::make_shared<std::string>();
  sub->add_option("name", *name, "analysis (analyze's <stem>.json) or compare (compare's <stem>.compare.json)")
      ->required()
      ->check(CLI::IsMember(schema_names()));
  sub->callback([&run, name] {
    run = [name] {
      const std::string& text = schema_text(*name);
      std::cout << text;
      if (text.empty() || text.back() != '\n') std::cout << '\n';
      std::cout.flush();
      if (!std::cout)
        throw Error(ErrorCode::OutputFailed, "could not write the " + *name + " schema to standard output");
      return 0;
    };
  });
}

}  // namespace calcscope::cli
