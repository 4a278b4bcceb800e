# ctest Install.ConsumerBuildsAgainstTheInstalledPackage (tests/CMakeLists.txt):
#   cmake -DBUILD_DIR=<calcscope build> -DWORK=<scratch dir> [-DCXX_FLAGS=<its CMAKE_CXX_FLAGS>] -P check_install.cmake
# Installs the build into WORK/prefix, checks the installed files, then configures, builds and runs
# tests/install/consumer (find_package(calcscope), calcscope::calcscope) against that prefix, and runs
# the installed CLI. Any failing step fails the test with its output.
cmake_minimum_required(VERSION 3.22)
foreach(v BUILD_DIR WORK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check_install.cmake: -D${v}=... is required")
  endif()
endforeach()
set(prefix ${WORK}/prefix)
file(REMOVE_RECURSE ${WORK})

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok\n${out}")
endfunction()

run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
include(GNUInstallDirs)
foreach(f ${CMAKE_INSTALL_BINDIR}/calcscope
          ${CMAKE_INSTALL_INCLUDEDIR}/calcscope/pipeline/analyze.h
          ${CMAKE_INSTALL_DATADIR}/calcscope/schemas/analysis.schema.json)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${prefix}/${f}")
  endif()
endforeach()
file(GLOB_RECURSE found LIST_DIRECTORIES false RELATIVE ${prefix}
     ${prefix}/*libcalcscope.a ${prefix}/*calcscopeConfig.cmake ${prefix}/*libcalcscope_speck_net_torch.so)
list(LENGTH found n)
if(NOT n EQUAL 3)
  message(FATAL_ERROR "expected the library, the package config and the trainer module under ${prefix}, found: ${found}")
endif()

get_filename_component(here ${CMAKE_CURRENT_LIST_FILE} DIRECTORY)
# compiled as the library was (the debug preset's sanitizer flags must reach the consumer's link too)
run("configure the consumer" ${CMAKE_COMMAND} -S ${here}/consumer -B ${WORK}/consumer -G Ninja
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
run("build the consumer" ${CMAKE_COMMAND} --build ${WORK}/consumer)
run("run the consumer" ${WORK}/consumer/consumer)
run("installed CLI" ${prefix}/${CMAKE_INSTALL_BINDIR}/calcscope --version)
