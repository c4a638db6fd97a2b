#!/usr/bin/env bash
# On the build machine, from the repository root, after
#   mvn -B -q -pl lem.backend.djl -am test-compile dependency:build-classpath \
#       -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
# puts in a kit folder (argument; default .device/djl, ignored through .git/info/exclude, carried
# to the GPU machine) what gpu_bench.sh needs, about 50 MB:
#   jdk.tgz                  a jlinked Java 17 (the GPU machine has none)
#   cp/                      lem.api, lem.backend.djl (main and test classes) and DJL's jars, without
#                            PyTorch's CPU natives (the machine's own CUDA libtorch replaces them) and
#                            with the tokenizers' natives for linux-x86_64 only
#   0.35.1-libdjl_torch.so   DJL's PyTorch JNI built against that libtorch (/work/shared/device/djl-cuda)
#   device/                  this folder: gpu_bench.sh, hf_eager_decode.py and the model configs
set -eu
kit=${1:-.device/djl}
rm -rf "$kit" && mkdir -p "$kit/cp"
kit=$(cd "$kit" && pwd)
tmp=$(mktemp -d)
jlink --add-modules java.base,java.logging,java.management,jdk.management,java.naming,java.sql,java.xml,jdk.unsupported \
  --compress=2 --strip-debug --no-header-files --no-man-pages --output "$tmp/jdk"
tar czf "$kit/jdk.tgz" -C "$tmp" jdk
for jar in $(tr ':' '\n' < lem.backend.djl/target/cp.txt); do
  case "$jar" in
    *pytorch-native-cpu*|*junit*|*opentest4j*|*apiguardian*|*felix*|*osgi*) ;;
    *onnxruntime*.jar) cp "$jar" "$kit/cp/" && zip -q -d "$kit/cp/$(basename "$jar")" 'ai/onnxruntime/native/linux-aarch64/*' 'ai/onnxruntime/native/win-*' 'ai/onnxruntime/native/osx-*' ;;
    *tokenizers*) cp "$jar" "$kit/cp/" && zip -q -d "$kit/cp/$(basename "$jar")" 'native/lib/linux-aarch64/*' 'native/lib/win-*' 'native/lib/osx-*' ;;
    *.jar) cp "$jar" "$kit/cp/" ;;
    *) [ ! -d "$jar" ] || (cd "$jar" && zip -q -r "$kit/cp/$(echo "$jar" | tr '/' '_').jar" .) ;;
  esac
done
(cd lem.backend.djl/target/classes && zip -q -r "$kit/cp/lem.backend.djl.jar" .)
(cd lem.backend.djl/target/test-classes && zip -q -r "$kit/cp/lem.backend.djl-tests.jar" .)
cp "${DJL_JNI:-/work/shared/device/djl-cuda/0.35.1-libdjl_torch.so}" "$kit/"
cp -r lem.backend.djl/device "$kit/"
rm -rf "$tmp"
du -sh "$kit" "$kit"/*
