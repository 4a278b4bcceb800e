// calcscope: the one place where errors become exit codes (docs/exit-codes.md).
#include <iostream>

#include "calcscope/core/error.h"
#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"calcscope " CALCSCOPE_VERSION
               " - finds, describes and assesses breast calcifications on mammograms"};
  app.set_version_flag("--version", std::string("calcscope ") + CALCSCOPE_VERSION);
  app.require_subcommand(1);
  calcscope::cli::Runner run;
  calcscope::cli::register_analyze(app, run);
  calcscope::cli::register_phantom(app, run);
  calcscope::cli::register_cut_patches(app, run);
  calcscope::cli::register_eval(app, run);
  calcscope::cli::register_compare(app, run);
  calcscope::cli::register_train(app, run);
  calcscope::cli::register_exit_codes(app, run);
  calcscope::cli::register_schema(app, run);
  calcscope::cli::register_serve(app, run);
  calcscope::cli::register_send(app, run);
  calcscope::cli::register_listen(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : calcscope::error_info(calcscope::ErrorCode::Usage).exit_code;
  }
  try {
    return run ? run() : 0;
  } catch (const calcscope::Error& e) {
    std::cerr << "calcscope: error [" << e.name() << "]: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "calcscope: internal error: " << e.what() << " (please report this)\n";
    return calcscope::error_info(calcscope::ErrorCode::Internal).exit_code;
  }
}
