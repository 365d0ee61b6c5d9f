# SPDX-License-Identifier: Apache-2.0
# ctest script: install the roentgen-sdk component of BUILD_DIR into a fresh prefix, then
# configure, build and run tests/consumer against it with find_package(roentgen-sdk).
# Inputs: BUILD_DIR, CONSUMER_DIR, WORK_DIR, CXX_COMPILER.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix --component roentgen-sdk)
if(NOT EXISTS ${WORK_DIR}/prefix/include/roentgen/sdk.h)
  message(FATAL_ERROR "roentgen/sdk.h was not installed")
endif()
run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/build -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
message(STATUS "consumer built against ${WORK_DIR}/prefix and ran")
