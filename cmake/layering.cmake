# The module layering, checked on every build (and by the layering_check test): a module's
# sources may include only its own headers and those of the modules listed for it. A forbidden
# #include fails the build naming the file, the line and the rule, before the module compiles.
#
#   common <- data <- model <- trainer <- launcher; checkpoint and distributed beside, on common
#   only; run_directory (what a run leaves on disk) on common and checkpoint, read by trainer,
#   report and launcher. sweep (a sweep's space, plan and trial states) on common and
#   run_directory, torch-free: the launcher binds the config's loader to it, report reads it.
#
# model/, data/ and checkpoint/ must never see distributed/ (communicators, MPI, NCCL): the model runs
# the same in one process or in many, and the distributed parts stay in one place.
#
# Run as a script: cmake -DBERTH_SOURCE_DIR=<repo> -DSTAMP=<file> -P cmake/layering.cmake
set(BERTH_LAYERS
    "common:"
    "data:common"
    "model:common,data"
    "checkpoint:common"
    "distributed:common"
    "run_directory:common,checkpoint"
    "sweep:common,checkpoint,run_directory"
    "trainer:common,data,model,checkpoint,distributed,run_directory"
    "report:common,checkpoint,run_directory,sweep"
    "serve:common,data,model"
    "launcher:common,data,model,checkpoint,distributed,run_directory,sweep,trainer,report,serve")

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_policy(SET CMP0007 NEW)
  set(_modules "")
  foreach(_rule ${BERTH_LAYERS})
    string(REPLACE ":" ";" _parts "${_rule}")
    list(GET _parts 0 _m)
    list(APPEND _modules ${_m})
  endforeach()
  set(_errors "")
  foreach(_rule ${BERTH_LAYERS})
    string(FIND "${_rule}" ":" _colon)
    string(SUBSTRING "${_rule}" 0 ${_colon} _module)
    math(EXPR _after "${_colon} + 1")
    string(SUBSTRING "${_rule}" ${_after} -1 _allowed)
    string(REPLACE "," ";" _allowed "${_allowed}")
    list(APPEND _allowed ${_module})
    file(GLOB _files ${BERTH_SOURCE_DIR}/${_module}/*.cpp ${BERTH_SOURCE_DIR}/${_module}/*.h)
    foreach(_file ${_files})
      file(STRINGS ${_file} _lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
      foreach(_line ${_lines})
        if(_line MATCHES "#[ \t]*include[ \t]*\"([a-z_]+)/")
          set(_target ${CMAKE_MATCH_1})
          list(FIND _modules ${_target} _is_module)
          list(FIND _allowed ${_target} _ok)
          if(_is_module GREATER -1 AND _ok EQUAL -1)
            file(RELATIVE_PATH _rel ${BERTH_SOURCE_DIR} ${_file})
            string(REPLACE ";" ", " _shown "${_allowed}")
            string(APPEND _errors "  ${_rel}: ${_line}\n    (${_module}/ may include only: "
                                  "${_shown})\n")
          endif()
        endif()
      endforeach()
    endforeach()
  endforeach()
  if(_errors)
    message(FATAL_ERROR "berth: module layering broken (cmake/layering.cmake):\n${_errors}")
  endif()
  if(STAMP)
    file(TOUCH ${STAMP})
  endif()
endif()
