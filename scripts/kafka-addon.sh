#!/usr/bin/env bash
# The native addon of @confluentinc/kafka-javascript (librdkafka), built from source, because the
# package's install script downloads a prebuilt binary from GitHub, which a machine with access
# to package registries only cannot reach. Run after `npm ci --ignore-scripts`:
#   kafka-addon.sh install [project-dir]   put the addon under the project's node_modules
#
# The build takes minutes, so the result (the addon and its librdkafka.so) is cached under
# ~/.cache/kube-audit-forwarder/kafka-addon-<package version>-abi<Node ABI>-<platform>-<arch>/;
# a warm run copies it. librdkafka links the system libssl (every image ships it) and, statically,
# zlib and zstd, so the distroless runtime image needs no extra shared library. The zstd sources
# come from the npm registry (the zstd-napi package vendors zstd's lib/).
set -euo pipefail

ZSTD_SOURCE_PACKAGE=zstd-napi@0.0.13

project="$(cd "${2:-.}" && pwd)"
package_dir="${project}/node_modules/@confluentinc/kafka-javascript"
[ -f "${package_dir}/package.json" ] || { echo "kafka-addon.sh: ${package_dir} missing: run npm ci first" >&2; exit 1; }
version="$(node -p "require('${package_dir}/package.json').version")"
key="kafka-addon-${version}-abi$(node -p process.versions.modules)-$(node -p "process.platform + '-' + process.arch")"
cache="${HOME}/.cache/kube-audit-forwarder/${key}"

# Loads the addon with the project's own Node and checks librdkafka has every codec the sink offers.
check() {
  (cd "$project" && node -e "
    const { features, librdkafkaVersion } = require('@confluentinc/kafka-javascript');
    const missing = ['gzip', 'snappy', 'lz4', 'zstd', 'ssl', 'sasl_scram', 'sasl_oauthbearer'].filter((f) => !features.includes(f));
    if (missing.length > 0) { console.error('librdkafka ' + librdkafkaVersion + ' lacks ' + missing.join(', ')); process.exit(1); }
  ")
}

copy_from_cache() {
  rm -rf "${package_dir}/build"
  mkdir -p "${package_dir}/build"
  cp -a "${cache}/Release" "${cache}/deps" "${package_dir}/build/"
}

build_zstd() {
  local work="$1"
  (cd "$work" && npm pack --silent "$ZSTD_SOURCE_PACKAGE" >/dev/null)
  mkdir -p "${work}/zstd-package"
  tar xzf "${work}"/zstd-napi-*.tgz -C "${work}/zstd-package"
  local lib="${work}/zstd-package/package/deps/zstd/lib"
  local objects=()
  local source
  for source in "$lib"/common/*.c "$lib"/compress/*.c "$lib"/decompress/*.c; do
    local object="${work}/zstd-obj/$(basename "$(dirname "$source")")-$(basename "${source%.c}").o"
    mkdir -p "$(dirname "$object")"
    # Position-independent: the objects end up inside librdkafka.so. No assembly: the C fallback
    # of the one .S file keeps the build a plain C compile.
    cc -O2 -fPIC -DZSTD_DISABLE_ASM -DXXH_NAMESPACE=ZSTD_ -c "$source" -o "$object"
    objects+=("$object")
  done
  ar rcs "${work}/libzstd.a" "${objects[@]}"
  echo "$lib"
}

build() {
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  echo "kafka-addon.sh: building ${key} from source (a few minutes; cached afterwards)" >&2
  local zstd_include
  zstd_include="$(build_zstd "$work")"
  local zlib_static
  zlib_static="$(cc -print-file-name=libz.a)"
  [ -f "$zlib_static" ] || { echo "kafka-addon.sh: libz.a not found (install zlib's development package)" >&2; exit 1; }
  # The Node running this script carries the headers: <package>/bin/node -> <package>/include/node.
  local node_dir
  node_dir="$(dirname "$(dirname "$(node -p process.execPath)")")"
  [ -f "${node_dir}/include/node/node.h" ] || { echo "kafka-addon.sh: no Node headers under ${node_dir}" >&2; exit 1; }
  (cd "$project" &&
    CKJS_LINKING=dynamic \
    npm_config_build_from_source=true \
    npm_config_nodedir="$node_dir" \
    CPPFLAGS="-I${zstd_include}" \
    STATIC_LIB_libzstd="${work}/libzstd.a" \
    STATIC_LIB_zlib="$zlib_static" \
    npm rebuild --foreground-scripts --no-audit --no-fund @confluentinc/kafka-javascript >&2)
  local staging="${cache}.partial.$$"
  rm -rf "$staging"
  mkdir -p "${staging}/Release" "${staging}/deps"
  cp -a "${package_dir}/build/Release/confluent-kafka-javascript.node" "${staging}/Release/"
  cp -a "${package_dir}"/build/deps/librdkafka*.so* "${staging}/deps/"
  # Without debug symbols librdkafka.so is a fifth of the size in the image.
  strip --strip-unneeded "${staging}"/deps/librdkafka*.so.* "${staging}/Release/confluent-kafka-javascript.node"
  rm -rf "$cache"
  mv "$staging" "$cache"
}

install() {
  if [ -f "${cache}/Release/confluent-kafka-javascript.node" ]; then
    copy_from_cache
    check && return 0
    echo "kafka-addon.sh: the cached ${key} does not load; building it again" >&2
  fi
  mkdir -p "$(dirname "$cache")"
  exec 9>"${cache}.lock"
  flock 9
  if [ ! -f "${cache}/Release/confluent-kafka-javascript.node" ] || ! (copy_from_cache && check); then
    build
    copy_from_cache
    check
  fi
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: kafka-addon.sh install [project-dir]" >&2; exit 2 ;;
esac
