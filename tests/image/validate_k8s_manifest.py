#!/usr/bin/env python3
"""Checks deploy/k8s/berth-mpijob.yaml as far as a machine without Kubernetes can:

- every document has apiVersion, kind and metadata.name, and the MPIJob validates against the
  MPI Operator's own schema (the openAPIV3Schema of v2beta1 in its CRD,
  manifests/base/kubeflow.org_mpijobs.yaml of kubeflow/mpi-operator), given as CRD_FILE;
- the ConfigMap's train.toml is TOML whose paths are the image's (/opt/berth) or the volume's;
- the launcher runs k8s-launcher with a berth command, the workers k8s-worker, both images are
  the same, the config and data volumes are mounted where train.toml says, and the grace
  periods leave room for a checkpoint.

usage: validate_k8s_manifest.py MANIFEST [CRD_FILE]   (exit 0: valid, 1: not)
CRD_FILE defaults to $BERTH_MPIJOB_CRD.
"""
import os
import sys
import tomllib

import yaml

errors = []


def check(cond, text):
    if not cond:
        errors.append(text)


manifest = sys.argv[1]
docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
by_kind = {}
for d in docs:
    check(all(k in d for k in ("apiVersion", "kind", "metadata")), f"a document lacks apiVersion/kind/metadata: {str(d)[:80]}")
    check(bool(d.get("metadata", {}).get("name")), f"{d.get('kind')} has no metadata.name")
    by_kind[d["kind"]] = d
for kind in ("PersistentVolumeClaim", "ConfigMap", "MPIJob"):
    check(kind in by_kind, f"no {kind} in {manifest}")
job = by_kind.get("MPIJob", {})
check(job.get("apiVersion") == "kubeflow.org/v2beta1", "the MPIJob must use kubeflow.org/v2beta1")

specs = job.get("spec", {}).get("mpiReplicaSpecs", {})
launcher = specs.get("Launcher", {}).get("template", {}).get("spec", {})
worker = specs.get("Worker", {}).get("template", {}).get("spec", {})
lc = (launcher.get("containers") or [{}])[0]
wc = (worker.get("containers") or [{}])[0]
check(lc.get("command") == ["/opt/berth/bin/k8s-launcher"], "the launcher must run /opt/berth/bin/k8s-launcher")
check(lc.get("args", [])[:2] == ["berth", "train"], "the launcher's args must be a berth train command")
check(wc.get("command") == ["/opt/berth/bin/k8s-worker"], "the workers must run /opt/berth/bin/k8s-worker")
check(lc.get("image") == wc.get("image"), "launcher and workers must run the same image")
for name, spec in (("launcher", launcher), ("worker", worker)):
    check(spec.get("terminationGracePeriodSeconds", 30) >= 120,
          f"the {name}'s terminationGracePeriodSeconds must cover a step and a checkpoint (>= 120 s)")

# train.toml: where it says the data and run directory are, the workers mount them.
cm = by_kind.get("ConfigMap", {})
config = tomllib.loads(cm.get("data", {}).get("train.toml", ""))
mounts = {m.get("mountPath", ""): m.get("name") for m in wc.get("volumeMounts", [])}
claims = {v["name"]: v.get("persistentVolumeClaim", {}).get("claimName") for v in worker.get("volumes", [])}
config_arg = lc.get("args", [])[lc.get("args", []).index("--config") + 1] if "--config" in lc.get("args", []) else ""
check(any(config_arg.startswith(p + "/") for p in mounts), f"--config {config_arg} is not on a volume the workers mount")
paths = [config["model"]["path"], config["data"]["train"], config["data"].get("dev", ""),
         config["data"].get("cache_dir", ""), config["train"]["run_dir"]]
for p in filter(None, paths):
    if p.startswith("/opt/berth/"):
        continue
    mount = next((m for m in mounts if p.startswith(m + "/")), None)
    check(mount is not None, f"{p} (train.toml) is on no volume the workers mount")
    if mount:
        check(claims.get(mounts[mount]) == by_kind.get("PersistentVolumeClaim", {}).get("metadata", {}).get("name"),
              f"{p} must be on the persistent volume (checkpoints outlive the pods)")
check("ReadWriteMany" in by_kind.get("PersistentVolumeClaim", {}).get("spec", {}).get("accessModes", []),
      "the volume must be ReadWriteMany: every worker pod mounts it")

crd_file = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("BERTH_MPIJOB_CRD", "")
if not crd_file:
    for e in errors:
        print("error:", e)
    print(f"{manifest}: {'INVALID' if errors else 'consistent'}; schema not checked: give the MPI "
          "Operator's CRD (manifests/base/kubeflow.org_mpijobs.yaml) as CRD_FILE")
    sys.exit(1 if errors else 0)

try:
    import jsonschema  # noqa: E402  (only needed for the schema check)
except ImportError:
    # The project venv lacks it; Debian's python3-jsonschema (make image-deps) has it.
    import subprocess
    system = "/usr/bin/python3"
    if sys.executable != system and subprocess.run([system, "-c", "import jsonschema, yaml"],
                                                   capture_output=True).returncode == 0:
        os.execv(system, [system, *sys.argv[:1], manifest, crd_file])
    print("error: the schema check needs the Python module jsonschema: apt-get install "
          "python3-jsonschema python3-yaml (make image-deps does), or pip install jsonschema")
    sys.exit(1)

crd = yaml.safe_load(open(crd_file))
version = next(v for v in crd["spec"]["versions"] if v["name"] == "v2beta1")
schema = version["schema"]["openAPIV3Schema"]
validator = jsonschema.Draft7Validator(schema)
for err in sorted(validator.iter_errors(job), key=lambda e: list(e.path)):
    errors.append(f"schema: {'/'.join(map(str, err.path))}: {err.message}")
# Unknown fields: Kubernetes prunes them silently, so a misspelt key would be ignored there.
def unknown(obj, sch, path):
    if isinstance(obj, list) and isinstance(sch, dict) and isinstance(sch.get("items"), dict):
        for i, v in enumerate(obj):
            unknown(v, sch["items"], f"{path}/{i}")
        return
    if not isinstance(obj, dict) or not isinstance(sch, dict):
        return
    props = sch.get("properties")
    if props is not None and not sch.get("x-kubernetes-preserve-unknown-fields"):
        for k, v in obj.items():
            if k not in props:
                errors.append(f"schema: {path}/{k}: not a field of the MPIJob schema (Kubernetes would drop it)")
            else:
                unknown(v, props[k], f"{path}/{k}")
    elif isinstance(sch.get("additionalProperties"), dict):
        for k, v in obj.items():
            unknown(v, sch["additionalProperties"], f"{path}/{k}")
for k in ("spec",):
    unknown(job.get(k), schema["properties"][k], k)
for e in errors:
    print("error:", e)
print(f"{manifest}: {'INVALID' if errors else 'valid'} (MPIJob against {crd_file})")
sys.exit(1 if errors else 0)
