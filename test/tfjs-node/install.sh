#!/usr/bin/env bash
# Install (once) the real @tensorflow/tfjs-node CPU backend from package registries only, into a cache outside the
# clone, and link it into this checkout's node_modules for the tfjs-node tests and bench/backend-compare.ts.
#
# tfjs-node's own install script downloads libtensorflow and a prebuilt binding from Google's storage host, which is
# unreachable here (FIELD-NOTES). Instead:
#   - the npm tarball gives the package (JS, the binding's C++ sources, binding.gyp);
#   - PyPI's tensorflow-cpu wheel of the libtensorflow version that package expects gives the shared libraries:
#     python/_pywrap_tensorflow_internal.so exports the whole C API (TF_*, TFE_*), next to libtensorflow_framework;
#   - that library leaves the CPython C API undefined (it is loaded by Python normally); its data references
#     (PyExc_*, Py*_Type, _Py_NoneStruct...) must resolve at load time, so a generated stub library defines them
#     (functions abort with a message: nothing on tfjs-node's path calls Python);
#   - node-gyp (the one bundled with npm) builds the binding against the node headers installed with node.
# Not a product dependency: package.json is untouched; `npm ci` removes the link and a rerun recreates it (~1 s).
set -euo pipefail

TFJS_NODE_VERSION=4.22.0
LIBTENSORFLOW_VERSION=2.9.1                # must equal tfjs-node's scripts/deps-constants.js (checked below)
WHEEL_PLATFORM=manylinux_2_17_x86_64       # tensorflow-cpu 2.9.1's Linux wheel tag (it has no manylinux2010 one)
WHEEL_PYTHON=3.10                          # any of the wheel's cp37..cp310 builds: the .so files are the same

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${MEMEOPS_CACHE:-$HOME/.cache/memeops}"
OUT="$CACHE/tfjs-node-$TFJS_NODE_VERSION"
PKG="$OUT/package"                         # the unpacked npm package; deps/ and lib/ are filled in here
LINK="$REPO_ROOT/node_modules/@tensorflow/tfjs-node"

log() { printf '[tfjs-node] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
timed() {
  local label=$1 t0=$SECONDS; shift
  log "$label ..."
  "$@"
  log "$label: done in $((SECONDS - t0)) s"
}

[[ $(uname -sm) == "Linux x86_64" ]] || die "only Linux x86_64 is supported (the wheel is $WHEEL_PLATFORM), not $(uname -sm)"
for tool in node npm python3 cc nm; do command -v $tool >/dev/null || die "$tool is required"; done
mkdir -p "$OUT"
exec 9>"$OUT/install.lock"
flock -n 9 || { log "another install.sh is running; waiting for it"; flock 9; }

fetch_package() {
  local tmp="$OUT/package.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  local tgz; tgz=$(cd "$tmp" && npm pack --silent "@tensorflow/tfjs-node@$TFJS_NODE_VERSION")
  tar -xzf "$tmp/$tgz" -C "$tmp" && rm "$tmp/$tgz"
  local expected; expected=$(sed -n "s/^const LIBTENSORFLOW_VERSION = '\(.*\)';/\1/p" "$tmp/package/scripts/deps-constants.js")
  [[ $expected == "$LIBTENSORFLOW_VERSION" ]] ||
    die "tfjs-node $TFJS_NODE_VERSION expects libtensorflow '$expected' (scripts/deps-constants.js), this script fetches $LIBTENSORFLOW_VERSION"
  rm -rf "$PKG" && mv "$tmp/package" "$PKG" && rmdir "$tmp"
}

# The C API library, libtensorflow_framework and the C headers, out of the PyPI wheel (deleted afterwards).
fetch_libtensorflow() {
  local tmp="$OUT/wheel.tmp" deps="$PKG/deps"
  rm -rf "$tmp" "$deps" && mkdir -p "$tmp" "$deps/lib"
  python3 -m pip download --quiet --no-cache-dir --no-deps --only-binary=:all: --python-version "$WHEEL_PYTHON" \
    --platform "$WHEEL_PLATFORM" -d "$tmp" "tensorflow-cpu==$LIBTENSORFLOW_VERSION"
  local wheel; wheel=$(echo "$tmp"/tensorflow_cpu-*.whl)
  [[ -f $wheel ]] || die "pip download left no tensorflow_cpu wheel in $tmp"
  log "wheel: $(basename "$wheel") ($(($(stat -c %s "$wheel") / 1000000)) MB)"
  python3 - "$wheel" "$deps" <<'EOF'
import os, shutil, sys, zipfile
wheel, deps = sys.argv[1:]
wanted = {  # wheel member -> path under deps/
    "tensorflow/python/_pywrap_tensorflow_internal.so": "lib/_pywrap_tensorflow_internal.so",
    "tensorflow/libtensorflow_framework.so.2": "lib/libtensorflow_framework.so.2",
}
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    for name in names:  # the C API headers that binding.gyp includes, and the tstring ones they include
        if not name.endswith("/") and name.startswith(("tensorflow/include/tensorflow/c/", "tensorflow/include/tensorflow/core/platform/ctstring")):
            wanted[name] = name[len("tensorflow/"):]
    for member, dest in wanted.items():
        if member not in names:
            sys.exit(f"{wheel}: no member {member}")
        path = os.path.join(deps, dest)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with z.open(member) as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        if dest.startswith("lib/"):
            os.chmod(path, 0o755)
EOF
  rm -rf "$tmp"
  local api="$deps/lib/_pywrap_tensorflow_internal.so" symbol exported
  exported=$(nm -D --defined-only "$api")
  for symbol in TF_Version TF_NewSession TFE_NewContext TFE_Execute; do
    grep -q " T $symbol@" <<<"$exported" || die "$api does not export $symbol: not the TensorFlow C API"
  done
  # The names binding.gyp links with (-ltensorflow -ltensorflow_framework); at run time the binding asks for the
  # sonames (_pywrap_tensorflow_internal.so, libtensorflow_framework.so.2), found through its rpath deps/lib.
  ln -s _pywrap_tensorflow_internal.so "$deps/lib/libtensorflow.so"
  ln -s libtensorflow_framework.so.2 "$deps/lib/libtensorflow_framework.so"
}

# libpystub.so: every CPython symbol the C API library leaves undefined. Objects (types, exceptions, None...) are
# zeroed storage; functions abort naming themselves, so an unexpected call is a clear crash, not silent garbage.
build_pystub() {
  local lib="$PKG/deps/lib" src="$OUT/pystub.c" symbol
  {
    echo '#include <stdio.h>'
    echo '#include <stdlib.h>'
    echo 'static void called(const char *name) { fprintf(stderr, "libtensorflow called CPython %s without Python\n", name); abort(); }'
    nm -D --undefined-only "$lib/_pywrap_tensorflow_internal.so" | awk '$1 == "U" && $2 ~ /^_?Py/ {print $2}' |
      while read -r symbol; do
        if [[ $symbol =~ ^PyExc_|^_Py.*Struct$|_Type$ ]]; then echo "char $symbol[256] __attribute__((aligned(16)));"
        else echo "void $symbol(void) { called(\"$symbol\"); }"; fi
      done
  } >"$src"
  cc -shared -fPIC -O1 -Wl,-soname,libpystub.so -o "$lib/libpystub.so" "$src"
  log "libpystub.so: $(grep -c '^char' "$src") objects, $(grep -c '^void' "$src") functions"
}

# tfjs-node's runtime dependencies, except @tensorflow/tfjs: that one must resolve to the checkout's own copy, so
# the "tensorflow" backend registers in the same tfjs-core engine the trainer uses.
install_runtime_deps() {
  local dir="$OUT/runtime"
  rm -rf "$dir" && mkdir -p "$dir"
  node -e '
    const [pkg, out] = process.argv.slice(1);
    const { dependencies } = require(pkg);
    delete dependencies["@tensorflow/tfjs"];
    require("fs").writeFileSync(out, JSON.stringify({ name: "tfjs-node-runtime", private: true, dependencies }, null, 2));
  ' "$PKG/package.json" "$dir/package.json"
  (cd "$dir" && npm install --silent --omit=dev --ignore-scripts --no-audit --no-fund)
}

# The N-API binding, built with the node-gyp bundled in npm against the headers installed with node (node-gyp would
# otherwise download them). N-API is ABI-stable: one build serves every node version with the same N-API level.
build_binding() {
  local napi; napi=$(node -p '
    const { binary } = require(process.argv[1]);
    Math.max(...binary.napi_versions.filter((v) => v <= Number(process.versions.napi)))' "$PKG/package.json")
  local gyp; gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
  [[ -f $gyp ]] || die "no node-gyp bundled with npm at $gyp"
  local nodedir; nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  [[ -f $nodedir/include/node/node_api.h ]] || die "no node headers at $nodedir/include/node (install node's headers/dev package)"
  rm -rf "$PKG/lib" "$PKG/build"
  # --no-as-needed: the binding uses no CPython symbol itself, but it must pull libpystub in before the C API library.
  (cd "$PKG" && LDFLAGS="-Wl,--no-as-needed -L$PKG/deps/lib -lpystub" node "$gyp" rebuild --silent --nodedir="$nodedir" \
    --module_name=tfjs_binding --module_path="$PKG/lib/napi-v$napi" --napi_build_version="$napi")
  rm -rf "$PKG/build"
  [[ -f $PKG/lib/napi-v$napi/tfjs_binding.node ]] || die "node-gyp built no $PKG/lib/napi-v$napi/tfjs_binding.node"
}

# This checkout's node_modules/@tensorflow/tfjs-node: package.json and dist/ copied (so that dist's
# require("@tensorflow/tfjs") walks up this checkout's node_modules), the big parts linked to the cache.
link_into_checkout() {
  local tfjs="$REPO_ROOT/node_modules/@tensorflow/tfjs/package.json"
  [[ -f $tfjs ]] || die "$tfjs missing: run npm ci first"
  local have; have=$(node -p 'require(process.argv[1]).version' "$tfjs")
  [[ $have == "$TFJS_NODE_VERSION" ]] || die "the checkout has @tensorflow/tfjs $have; tfjs-node $TFJS_NODE_VERSION needs $TFJS_NODE_VERSION"
  rm -rf "$LINK" && mkdir -p "$LINK"
  cp -r "$PKG/package.json" "$PKG/dist" "$LINK/"
  ln -s "$PKG/deps" "$LINK/deps"
  ln -s "$PKG/lib" "$LINK/lib"
  ln -s "$OUT/runtime/node_modules" "$LINK/node_modules"
}

# step STAMP FN: run FN unless its stamp says it completed (each writes its stamp last, so an interrupted step
# reruns). Every later step builds on the earlier ones' output, so once one runs, all that follow do too.
rerun=0
step() {
  if [[ $rerun == 0 && -f $OUT/$1.done ]]; then return; fi
  rerun=1
  rm -f "$OUT/$1.done"
  timed "$2" "$2" # a plain command: inside `a && b`, set -e would not stop on the function's failures
  touch "$OUT/$1.done"
}

step package fetch_package
step libtensorflow fetch_libtensorflow
step pystub build_pystub
step runtime install_runtime_deps
step binding build_binding
link_into_checkout

# The proof: the binding loads, registers "tensorflow" in the checkout's own tfjs, and computes.
(cd "$REPO_ROOT" && TF_CPP_MIN_LOG_LEVEL=2 node --input-type=module -e '
  import * as tf from "@tensorflow/tfjs";
  await import("@tensorflow/tfjs-node");
  if (!(await tf.setBackend("tensorflow"))) throw new Error("backend \"tensorflow\" did not initialise");
  const sum = tf.tensor1d([1, 2, 3]).square().sum().dataSync()[0];
  if (sum !== 14) throw new Error(`tensorflow backend computed ${sum} for 1+4+9`);
  console.error(`[tfjs-node] ready: libtensorflow ${tf.backend().binding.TF_Version}, tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);
') || die "the installed tfjs-node does not load (see above)"
log "installed in $OUT ($(du -sh "$OUT" | cut -f1)); linked at $LINK"
