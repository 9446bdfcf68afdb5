#!/usr/bin/env bash
# Node 24 LTS for every make target, from the npm registry's `node` package (its
# `node-<platform>-<arch>` dependency carries bin/node and the headers a native build needs), so
# a machine whose own Node is older needs no download beyond the npm registry.
#   node24.sh bin-dir   print the directory to put first on PATH (nothing is installed)
#   node24.sh ensure    install it under ~/.cache/kube-audit-forwarder/node-<version>/ unless there
set -euo pipefail

NODE_VERSION=24.21.0
home="${HOME}/.cache/kube-audit-forwarder/node-${NODE_VERSION}"

case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node24.sh: no node package for machine type $(uname -m)" >&2; exit 1 ;;
esac
case "$(uname -s)" in
  Linux) platform=linux ;;
  Darwin) platform=darwin ;;
  *) echo "node24.sh: no node package for $(uname -s)" >&2; exit 1 ;;
esac
# The arch package's own bin/node: Node then finds its headers at execPath/../../include/node.
bin_dir="${home}/node_modules/node/node_modules/node-${platform}-${arch}/bin"

ensure() {
  [ -x "${bin_dir}/node" ] && return 0
  mkdir -p "$(dirname "$home")"
  exec 9>"${home}.lock"
  flock 9
  [ -x "${bin_dir}/node" ] && return 0
  local staging="${home}.partial.$$"
  rm -rf "$staging"
  mkdir -p "$staging"
  # The node package installs its platform's binary in a preinstall script, which npm runs only
  # for packages the project's allowScripts names.
  printf '{"private":true,"allowScripts":{"node@%s":true}}\n' "$NODE_VERSION" >"${staging}/package.json"
  (cd "$staging" && npm install --no-audit --no-fund --no-save --loglevel=error "node@${NODE_VERSION}" >&2)
  "${staging}/node_modules/node/node_modules/node-${platform}-${arch}/bin/node" --version >/dev/null
  rm -rf "$home"
  mv "$staging" "$home"
}

case "${1:-}" in
  bin-dir) echo "$bin_dir" ;;
  ensure) ensure ;;
  *) echo "usage: node24.sh bin-dir|ensure" >&2; exit 2 ;;
esac
