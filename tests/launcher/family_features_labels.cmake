# Read by CTest after launcher_tests' discovered tests (tests/CMakeLists.txt): the family feature
# spread (family_features_test.cpp: a training run and a transformers reference in each test,
# minutes in all) is labelled slow, so `make test` leaves it out; `ctest -L slow` runs it.
foreach(_test IN LISTS launcher_tests_TESTS)
  if(_test MATCHES "^FamilyFeature\\.")
    set_tests_properties("${_test}" PROPERTIES LABELS "launcher;slow" TIMEOUT 900)
  endif()
endforeach()
