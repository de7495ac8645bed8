#!/usr/bin/env bash
# Builds the Spark test image (test/e2e/spark-cluster.test.ts, scripts/bench-spark.ts) as a root
# filesystem tarball for `docker import`, cached in test/e2e/.cache/spark-image-<hash>.tar, the hash
# covering this script. No container registry is reachable here, so the catalog's
# quay.io/jupyter/pyspark-notebook image is stood in for by the same Spark built from its parts:
#   - Debian bookworm (debootstrap) with Debian's openjdk-17-jre-headless and python3;
#   - PySpark from PyPI, the Spark the catalog tag carries (pyspark-notebook:2025-08-18: Spark
#     4.0.0, Hadoop client 3.4.1, Java 17), installed by the image's own pip;
#   - no data-lake connector, like the stock image: the components download hadoop-aws and its
#     AWS SDK bundle from Maven Central onto every machine (components/cluster/spark.ts, `jars`),
#     and the test does the same (test/support/sparkHosts.ts);
#   - the docker-stacks layout the components render for: SPARK_HOME=/usr/local/spark (root-owned),
#     user jovyan (uid 1000, gid 100) as the default user, /opt/conda/bin/python3.
# Downloads (pip's files) are kept in test/e2e/.cache/spark-dl across rebuilds.
# Idempotent and safe to run concurrently (flock). Prints the tarball's path as its only stdout line.
#
# Env: GWB_E2E_CACHE (cache dir), GWB_DEBIAN_MIRROR (default: the Debian mirror apt uses here).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${GWB_E2E_CACHE:-$repo/test/e2e/.cache}
suite=bookworm
spark_version=4.0.0
hadoop_version=3.4.1
# procps: Spark's scripts call ps; python3-setuptools/-wheel: pip builds PySpark's sdist without
# fetching a build backend.
packages=openjdk-17-jre-headless,python3,python3-pip,python3-setuptools,python3-wheel,procps,ca-certificates

if [ "$(id -u)" != 0 ]; then echo "spark-image: must run as root (debootstrap, chroot)" >&2; exit 1; fi
for c in debootstrap chroot flock sha256sum tar mount; do
  command -v "$c" >/dev/null || { echo "spark-image: $c not found: apt-get install debootstrap" >&2; exit 1; }
done

hash=$( { cat "${BASH_SOURCE[0]}"; uname -m; } | sha256sum | cut -c1-16)
image=$cache/spark-image-$hash.tar
dl=$cache/spark-dl
mkdir -p "$cache" "$dl"
[ -f "$cache/.gitignore" ] || printf '*\n' >"$cache/.gitignore"
exec 9>"$cache/.spark-lock"
flock 9

if [ ! -f "$image" ]; then
  mirror=${GWB_DEBIAN_MIRROR:-}
  if [ -z "$mirror" ]; then
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
      | grep -v '^[[:space:]]*#' | grep -oE 'https?://[^[:space:]]+/debian/?([[:space:]]|$)' | head -n1 | tr -d '[:space:]' || true)
    mirror=${mirror:-http://deb.debian.org/debian}
  fi
  root=$cache/spark-root.tmp
  umount -R "$root/proc" "$root/dl" 2>/dev/null || true
  rm -rf "$root" "$cache"/spark-image-*.tar  # drop stale images of older versions
  start=$(date +%s)
  echo "spark-image: debootstrap $suite ($packages) from $mirror" >&2
  if ! debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$cache/spark-debootstrap.log" 2>&1; then
    tail -n 30 "$cache/spark-debootstrap.log" >&2
    echo "spark-image: debootstrap failed (full log: $cache/spark-debootstrap.log)" >&2
    exit 1
  fi
  echo "spark-image: rootfs in $(($(date +%s) - start)) s" >&2

  t=$(date +%s)
  # PySpark with the image's pip: its files are fetched into the download cache, then installed
  # from there only.
  mkdir -p "$root/dl" "$root/proc"
  mount --bind "$dl" "$root/dl"
  mount -t proc proc "$root/proc"
  trap 'umount "$root/dl" "$root/proc" 2>/dev/null || true' EXIT
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # The machine's CA bundle (it may hold a proxy's CA the image's own bundle lacks), for this
  # download only.
  cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$root/dl-ca.crt"
  chroot "$root" env -u PIP_FIND_LINKS PIP_CERT=/dl-ca.crt REQUESTS_CA_BUNDLE=/dl-ca.crt SSL_CERT_FILE=/dl-ca.crt python3 -m pip download -q --disable-pip-version-check --dest /dl "pyspark==$spark_version" >&2
  rm "$root/dl-ca.crt"
  echo "spark-image: downloads in $(($(date +%s) - t)) s ($(du -sh "$dl" | cut -f1) cached in $dl)" >&2
  chroot "$root" env -u PIP_FIND_LINKS python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --break-system-packages --no-index --no-build-isolation \
    --find-links /dl "pyspark==$spark_version" >&2
  umount "$root/dl" "$root/proc"
  trap - EXIT
  rmdir "$root/dl"

  site=$(chroot "$root" python3 -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
  ls "$root$site/jars/hadoop-client-api-$hadoop_version.jar" >/dev/null || {
    echo "spark-image: PySpark $spark_version does not carry Hadoop $hadoop_version (the components' connector jars match that)" >&2
    exit 1
  }
  ln -s "$site" "$root/usr/local/spark"
  mkdir -p "$root/opt/conda/bin"
  ln -s /usr/bin/python3 "$root/opt/conda/bin/python3"
  ln -s /usr/bin/python3 "$root/opt/conda/bin/python"
  chroot "$root" useradd --uid 1000 --gid 100 --create-home --shell /bin/bash jovyan
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/root/.cache
  : >"$root/etc/resolv.conf"
  tar -C "$root" -cf "$image.part" .
  mv "$image.part" "$image"
  rm -rf "$root"
  echo "spark-image: $(du -h "$image" | cut -f1) image ready in $(($(date +%s) - start)) s" >&2
fi
echo "$image"
