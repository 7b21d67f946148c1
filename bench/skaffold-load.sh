#!/usr/bin/env bash
# Skaffold build hook (build.artifacts[].hooks.after) for bench:dev: puts the image Skaffold just built into the
# cluster's containerd, as the kit's LOAD_METHOD=containerd does (docker save to a file, then ctr images import).
# Skaffold has no load step of its own for a cluster without a registry that is neither kind, k3d nor minikube.
# Skaffold sets SKAFFOLD_IMAGE (repo:tag, the tag policy's tag); CONTAINERD_ADDRESS and CONTAINERD_NAMESPACE come
# from the environment.
set -euo pipefail
: "${SKAFFOLD_IMAGE:?set by skaffold}"
: "${CONTAINERD_ADDRESS:?the cluster node containerd socket}"
# An image that is not pushed is deployed as <repo>:<image ID hex> (Skaffold retags it after this hook runs), so that
# name goes into containerd as well.
id="$(docker image inspect -f '{{.Id}}' "${SKAFFOLD_IMAGE}")"
by_id="${SKAFFOLD_IMAGE%:*}:${id#sha256:}"
docker tag "${SKAFFOLD_IMAGE}" "${by_id}"
tar="$(mktemp -t skaffold-image.XXXXXX.tar)"
trap 'rm -f "${tar}"' EXIT
docker save -o "${tar}" "${SKAFFOLD_IMAGE}" "${by_id}"
ctr --address "${CONTAINERD_ADDRESS}" -n "${CONTAINERD_NAMESPACE:-k8s.io}" images import "${tar}" >/dev/null
