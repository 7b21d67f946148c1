#!/usr/bin/env bash
# Builds Skaffold v2.16.1 from source once and caches the binary; instant when cached.
# Why from source: `go install github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold@v2.16.1` is refused by the
# Go proxy here (its version-list lookup answers 403), while `go mod download` of the exact version works.
set -euo pipefail

version="${SKAFFOLD_VERSION:-v2.16.1}"
cache="${HOME}/.cache/todo-k8s-kit/skaffold/${version}"
bin="${cache}/skaffold"

if [[ -x "${bin}" ]] && "${bin}" version >/dev/null 2>&1; then
  echo "${bin}"
  exit 0
fi

command -v go >/dev/null || { echo "skaffold.sh: go is not on PATH (install a toolchain, e.g. GOTOOLCHAIN=go1.24.x)" >&2; exit 1; }

work="$(mktemp -d -t skaffold-build.XXXXXX)"
trap 'chmod -R u+w "${work}" 2>/dev/null || true; rm -rf "${work}"' EXIT

# The module cache is read-only; the build needs a writable copy of the module directory.
dir="$(go mod download -json "github.com/GoogleContainerTools/skaffold/v2@${version}" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -n "${dir}" && -d "${dir}" ]] || { echo "skaffold.sh: go mod download gave no module directory" >&2; exit 1; }
cp -R "${dir}" "${work}/src"
chmod -R u+w "${work}/src"

mkdir -p "${cache}"
echo "skaffold.sh: building skaffold ${version} (a few minutes on 2 cores)" >&2
# -trimpath keeps local paths out of the binary; the version stamp makes `skaffold version` say what it is.
(cd "${work}/src" && go build -trimpath \
  -ldflags "-X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=${version}" \
  -o "${bin}.tmp" ./cmd/skaffold)
mv "${bin}.tmp" "${bin}"
"${bin}" version >&2
echo "${bin}"
