// Launch detection and the local rank in the environments of Kubeflow's MPI Operator
// (deploy/k8s/berth-mpijob.yaml, docs/cluster.md "Kubernetes"). Its launcher pod runs the
// image's mpirun, which reaches the worker pods over ssh; a rank there sees what Open MPI's
// daemon gives it (OMPI_COMM_WORLD_*, and PMIX_* from Open MPI's internal PMIx server), plus
// whatever the pod has. Nothing Kubernetes-specific is read: these tests pin that the pod's own
// variables neither make a process a rank nor change the rank's place.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "distributed/local_rank.h"
#include "launcher/launch_env.h"

namespace berth::launcher {
namespace {

using Env = std::map<std::string, std::string>;

std::function<const char*(const char*)> lookup(const Env& vars) {
  return [&vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

// What every container of an MPIJob's pods has: the service variables Kubernetes injects, the
// pod's host name, and the hostfile the operator mounts and names for Open MPI.
Env pod_env(const std::string& hostname) {
  return {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
          {"KUBERNETES_SERVICE_PORT", "443"},
          {"KUBERNETES_PORT", "tcp://10.96.0.1:443"},
          {"HOSTNAME", hostname},
          {"OMPI_MCA_orte_default_hostfile", "/etc/mpi/hostfile"},
          {"OMPI_MCA_orte_keep_fqdn_hostnames", "true"},
          {"OMPI_ALLOW_RUN_AS_ROOT", "1"}};
}

TEST(KubernetesLaunch, RankOnAWorkerPodIsAnOpenMpiRank) {
  // Rank 3 of 4 (2 worker pods, slotsPerWorker 2): the second rank on berth-sst2-worker-1.
  Env env = pod_env("berth-sst2-worker-1");
  env.insert({{"OMPI_COMM_WORLD_SIZE", "4"},
              {"OMPI_COMM_WORLD_RANK", "3"},
              {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
              {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"},
              {"OMPI_COMM_WORLD_NODE_RANK", "1"},
              {"OMPI_UNIVERSE_SIZE", "4"},
              {"PMIX_RANK", "3"},
              {"PMIX_NAMESPACE", "3391946753"}});
  auto info = detect_launch(lookup(env));
  EXPECT_TRUE(info.mpi);
  EXPECT_EQ(info.launcher, "mpirun (Open MPI)");
  EXPECT_EQ(info.world_size, 4);
  auto local = distributed::local_rank_from_env(lookup(env));
  EXPECT_EQ(local.local_rank, 1);  // takes the pod's second GPU
  EXPECT_EQ(local.variable, "OMPI_COMM_WORLD_LOCAL_RANK");
}

TEST(KubernetesLaunch, ProcessInAPodOutsideMpirunIsASingleProcess) {
  // `kubectl exec berth-sst2-worker-0 -- berth predict ...`: the pod's Open MPI settings
  // (OMPI_MCA_*) are no rank's variables, so predict must not be refused as a multi-rank run.
  Env env = pod_env("berth-sst2-worker-0");
  auto info = detect_launch(lookup(env));
  EXPECT_FALSE(info.mpi);
  EXPECT_EQ(info.launcher, "none");
  EXPECT_EQ(info.world_size, 1);
  EXPECT_EQ(distributed::local_rank_from_env(lookup(env)).local_rank, -1);
}

TEST(KubernetesLaunch, OneRankPerPodIsLocalRankZero) {
  // slotsPerWorker 1 (the example's): every rank is alone on its pod and takes its only GPU.
  Env env = pod_env("berth-sst2-worker-1");
  env.insert({{"OMPI_COMM_WORLD_SIZE", "2"},
              {"OMPI_COMM_WORLD_RANK", "1"},
              {"OMPI_COMM_WORLD_LOCAL_RANK", "0"},
              {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"}});
  EXPECT_EQ(detect_launch(lookup(env)).world_size, 2);
  EXPECT_EQ(distributed::local_rank_from_env(lookup(env)).local_rank, 0);
}

}  // namespace
}  // namespace berth::launcher
