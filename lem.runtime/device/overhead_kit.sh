#!/usr/bin/env bash
# On the build machine, from the repository root, after `mvn -B -q package -DskipTests`: puts in
# .device/gpu/ (git-ignored, carried to the GPU machine) what overhead_gpu.sh needs:
#   jdk.tgz  a jlinked Java (--compress=2, zip-9 on Java 21+)
#   lem.tgz  the distribution with an empty lib/pytorch-native-cpu.jar in lem.djl (the GPU machine's
#            own libtorch replaces PyTorch's CPU natives, which would not fit a device call) and
#            the tokenizers' natives for linux-x86_64 only, and an empty lib/duckdb_jdbc.jar in
#            lem.results.sql (DuckDB's 80 MB would not fit either; SQL is not used there)
#   0.35.1-libdjl_torch.so  DJL's PyTorch JNI built against that libtorch (/work/shared/device/djl-cuda)
set -eu
kit=.device/gpu
tmp=$(mktemp -d)
rm -rf "$kit" && mkdir -p "$kit"
jlink --add-modules java.base,java.logging,java.management,jdk.management,java.naming,java.net.http,java.sql,java.xml,jdk.unsupported,jdk.crypto.ec,java.scripting \
  --compress=2 --strip-debug --no-header-files --no-man-pages --output "$tmp/jdk"
cp -r lem.app/target/lem "$tmp/lem"
(
  cd "$tmp" && mkdir slim && cd slim
  unzip -q ../lem/lib/lem.jar 'jar/lem.djl-*.jar'
  unzip -q jar/lem.djl-*.jar lib/tokenizers.jar
  zip -q -d lib/tokenizers.jar 'native/lib/linux-aarch64/*' 'native/lib/win-*' 'native/lib/osx-*'
  python3 -c 'import zipfile; zipfile.ZipFile("lib/pytorch-native-cpu.jar", "w").close()'
  zip -q jar/lem.djl-*.jar lib/pytorch-native-cpu.jar lib/tokenizers.jar
  zip -q ../lem/lib/lem.jar jar/lem.djl-*.jar
  unzip -q ../lem/lib/lem.jar 'jar/lem.results.sql-*.jar'
  python3 -c 'import zipfile; zipfile.ZipFile("lib/duckdb_jdbc.jar", "w").close()'
  zip -q jar/lem.results.sql-*.jar lib/duckdb_jdbc.jar
  zip -q ../lem/lib/lem.jar jar/lem.results.sql-*.jar
)
tar czf "$kit/jdk.tgz" -C "$tmp" jdk
tar czf "$kit/lem.tgz" -C "$tmp" lem
cp "${DJL_JNI:-/work/shared/device/djl-cuda/0.35.1-libdjl_torch.so}" "$kit/"
rm -rf "$tmp"
du -sh "$kit"/*
