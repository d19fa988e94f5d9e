# Berth's container image and the cluster paths of docs/cluster.md (included by
# tests/CMakeLists.txt).
#
# Label "image" (`make test-image`, which builds the image first with `make image`): slow (the
# image is several GB; the quickstart and the Slurm run take minutes), need root, and are not in
# `make test`'s default set. Each reads the archive named in build/image/archive.path.
set(_img ${PROJECT_SOURCE_DIR}/tests/image)
set(_img_env "BERTH_PYTHON=${BERTH_PYTHON};BERTH_BUILD_DIR=${CMAKE_BINARY_DIR}")
foreach(_part contents quickstart unit)
  add_test(NAME image_${_part} COMMAND bash ${_img}/image_test.sh ${_part}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(image_${_part} PROPERTIES LABELS image TIMEOUT 1800 RUN_SERIAL TRUE
                       SKIP_RETURN_CODE 77 ENVIRONMENT "${_img_env}")
endforeach()
# The archive as `apptainer build ... docker-archive://` reads it, by a user who is not root:
# skopeo copy to an OCI layout, umoci unpack --rootless, berth run from that root file system in
# a user namespace, and the tree equal to the one the tests above run in
# (tests/image/oci_unpack_test.sh).
add_test(NAME image_oci_unpack COMMAND bash ${_img}/oci_unpack_test.sh
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(image_oci_unpack PROPERTIES LABELS image TIMEOUT 1800 RUN_SERIAL TRUE
                     SKIP_RETURN_CODE 77 ENVIRONMENT "${_img_env}")
# The multi-node Slurm test's training with every rank started inside the image's root file
# system (the hybrid model: the host's srun/mpirun, the image's Open MPI and berth).
add_test(NAME image_slurm COMMAND bash ${_img}/slurm_in_image_test.sh
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(image_slurm PROPERTIES LABELS image TIMEOUT 1800 RUN_SERIAL TRUE
                     SKIP_RETURN_CODE 77 ENVIRONMENT "${_img_env}")
# The MPI Operator's launcher and worker commands in the image: pod deletion -> checkpoint ->
# resume (tests/image/k8s_preemption_test.sh).
add_test(NAME image_k8s_preemption COMMAND bash ${_img}/k8s_preemption_test.sh
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(image_k8s_preemption PROPERTIES LABELS image TIMEOUT 900 RUN_SERIAL TRUE
                     SKIP_RETURN_CODE 77 ENVIRONMENT "${_img_env}")
# Berth built by a user who is not root, in a copy of the tree, against the Debian packages and
# the venv already installed (SKIP_APT=1; setup.sh says what is missing instead of calling apt).
add_test(NAME image_nonroot_build COMMAND bash ${_img}/nonroot_build_test.sh
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(image_nonroot_build PROPERTIES LABELS image TIMEOUT 3600 RUN_SERIAL TRUE
                     SKIP_RETURN_CODE 77 ENVIRONMENT "${_img_env}")

# deploy/k8s/berth-mpijob.yaml is consistent (launcher/worker commands, volumes where
# train.toml's paths are, grace periods); with the MPI Operator's CRD in BERTH_MPIJOB_CRD, the
# MPIJob is also validated against its v2beta1 schema. Seconds: part of `make test`.
add_test(NAME k8s_manifest
         COMMAND ${BERTH_PYTHON} ${_img}/validate_k8s_manifest.py
                 ${PROJECT_SOURCE_DIR}/deploy/k8s/berth-mpijob.yaml)
set_tests_properties(k8s_manifest PROPERTIES LABELS "k8s;unit")
# The check fails on a manifest whose worker does not mount the volume train.toml writes to.
add_test(NAME k8s_manifest_catches_errors
         COMMAND bash -c "sed 's|- {name: data, mountPath: /data}||' '${PROJECT_SOURCE_DIR}/deploy/k8s/berth-mpijob.yaml' > '${CMAKE_CURRENT_BINARY_DIR}/bad-mpijob.yaml' && exec '${BERTH_PYTHON}' '${_img}/validate_k8s_manifest.py' '${CMAKE_CURRENT_BINARY_DIR}/bad-mpijob.yaml'")
set_tests_properties(k8s_manifest_catches_errors PROPERTIES LABELS "k8s;unit"
                     PASS_REGULAR_EXPRESSION "/data/runs/sst2 \\(train.toml\\) is on no volume the workers mount")
