#!/usr/bin/env bash
# Container test: builds folio's image from docker/Dockerfile with podman (no Docker engine, no
# registry pulls) and checks that the image serves, as a user would run it.
#
#   bash docker/test.sh            (from anywhere; run as root on Debian, or with podman set up)
#
# What it needs, installed with apt when missing: podman, runc, debootstrap, curl, jq. The base
# images are made locally instead of pulled: `debian:bookworm-slim` from Debian packages with
# debootstrap, and `rust:<version>-bookworm` from that plus the host's Rust toolchain, both tagged
# under their Docker Hub names so the Dockerfile builds unchanged.
#
# Environment:
#   FOLIO_CONTAINER_DIR  keep podman's storage (and so the base images and build cache) in this
#                        folder between runs; default: a new temporary folder, removed at exit.
#   FOLIO_CONTAINER_KEEP=1  keep the test image (localhost/folio:test) after the run.
#
# Exit codes: 0 all checks passed, 1 a check failed, 77 podman is missing and cannot be installed.
# Every request goes to 127.0.0.1: the containers share the host's network and folio listens on
# 127.0.0.1 at a free port.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

IMG=localhost/folio:test
SKIP=77
started=$SECONDS

say() { printf 'container: %s\n' "$*"; }

# --- tools -----------------------------------------------------------------------------------
need=()
for c in podman runc debootstrap curl jq; do
  command -v "$c" >/dev/null 2>&1 || need+=("$c")
done
if ((${#need[@]})); then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "SKIPPED: missing ${need[*]} and cannot install them (needs root and apt-get)"
    exit "$SKIP"
  fi
  say "installing ${need[*]} with apt"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      podman runc debootstrap curl jq >/dev/null; }; then
    say "SKIPPED: apt-get could not install podman runc debootstrap curl jq"
    exit "$SKIP"
  fi
fi
command -v rustc >/dev/null 2>&1 || { say "FAILED: rustc is needed to make the builder image"; exit 1; }

# --- podman's storage and settings, all in one folder ----------------------------------------
if [ -n "${FOLIO_CONTAINER_DIR:-}" ]; then
  W=$FOLIO_CONTAINER_DIR
  mkdir -p "$W"
  W=$(cd "$W" && pwd)
  own_dir=
else
  W=$(mktemp -d)
  own_dir=1
fi
mkdir -p "$W/tmp" "$W/run"
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/storage"\nrunroot = "%s/run"\n' "$W" "$W" >"$W/storage.conf"
# runc, not crun (crun refuses cgroup v1+v2 hybrid hosts); rlimits no higher than the host's
# hard limits (podman's defaults fail without CAP_SYS_RESOURCE).
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
nproc=$(ulimit -Hu)
{ [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
pid_max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 32768)
[ "$nproc" -gt "$pid_max" ] && nproc=$pid_max
cat >"$W/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$W/run/events.log"
tmp_dir = "$W/tmp"
EOF
export CONTAINERS_STORAGE_CONF=$W/storage.conf CONTAINERS_CONF=$W/containers.conf TMPDIR=$W/tmp
export NO_PROXY='*' no_proxy='*'

# Names of what this run makes, removed at exit.
tag=folio-test-$$
ctrs=("$tag-bundled" "$tag-mounted" "$tag-restarted")
vol=$tag-index

cleanup() {
  local rc=$?
  for c in "${ctrs[@]}"; do podman rm -f -v -t 5 "$c" >/dev/null 2>&1 || true; done
  podman volume rm -f "$vol" >/dev/null 2>&1 || true
  if [ -z "${FOLIO_CONTAINER_KEEP:-}" ]; then
    podman rmi -f "$IMG" >/dev/null 2>&1 || true
  fi
  if [ -n "$own_dir" ]; then
    podman system reset -f >/dev/null 2>&1 || true
    grep -o " $W/[^ ]*" /proc/self/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$W" 2>/dev/null || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- base images, made locally ---------------------------------------------------------------
step() { printf 'container: %-44s' "$1"; }
done_in() { printf ' %4d s\n' $((SECONDS - $1)); }

if ! podman image exists docker.io/library/debian:bookworm-slim; then
  t=$SECONDS; step "base image debian:bookworm-slim (debootstrap)"
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  if [ ! -x "$W/rootfs/usr/bin/apt-get" ]; then
    rm -rf "$W/rootfs"
    debootstrap --variant=minbase bookworm "$W/rootfs" "$mirror" >"$W/debootstrap.log" 2>&1 \
      || { echo; tail -20 "$W/debootstrap.log"; exit 1; }
  fi
  tar -C "$W/rootfs" --exclude='./var/cache/apt/archives/*.deb' --exclude='./var/lib/apt/lists/*' \
      --exclude='./usr/share/doc/*' --exclude='./usr/share/man/*' --exclude='./usr/share/locale/*' -c . \
    | podman import -q --change 'CMD ["/bin/bash"]' - docker.io/library/debian:bookworm-slim >/dev/null
  rm -rf "$W/rootfs"
  done_in $t
fi

rust_version=$(rustc --version | awk '{split($2, v, "."); print v[1] "." v[2]}')
builder=docker.io/library/rust:$rust_version-bookworm
if ! podman image exists "$builder"; then
  t=$SECONDS; step "builder image rust:$rust_version-bookworm (host toolchain)"
  bctx=$W/builder
  mkdir -p "$bctx"
  # The host's CA bundle, so that cargo in the build trusts the registry's HTTPS as the host does.
  cp /etc/ssl/certs/ca-certificates.crt "$bctx/ca-certificates.crt"
  cat >"$bctx/Dockerfile" <<'EOF'
FROM docker.io/library/debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      gcc libc6-dev binutils pkg-config ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/*
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN mkdir -p /usr/local/rust /usr/local/cargo/bin \
 && cp -a /mnt/toolchain/bin /mnt/toolchain/lib /mnt/toolchain/libexec /mnt/toolchain/etc /usr/local/rust/ \
 && for b in /usr/local/rust/bin/*; do ln -s "$b" /usr/local/cargo/bin/; done
ENV CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
  podman build -q --pull=never --format docker --network=host \
      -v "$(rustc --print sysroot)":/mnt/toolchain:ro -t "$builder" "$bctx" >"$W/builder.log" 2>&1 \
    || { echo; tail -30 "$W/builder.log"; exit 1; }
  rm -rf "$bctx"
  done_in $t
fi

# --- the image -------------------------------------------------------------------------------
t=$SECONDS; step "podman build -f docker/Dockerfile"
if ! podman build --pull=never --format docker --network=host \
    --build-arg RUST_VERSION="$rust_version" -f docker/Dockerfile -t "$IMG" . >"$W/build.log" 2>&1; then
  echo; tail -40 "$W/build.log"; say "0 passed, 1 failed"; exit 1
fi
done_in $t

# --- checks ----------------------------------------------------------------------------------
passed=0 failed=0
pass() { passed=$((passed + 1)); printf 'container: ok   %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'container: FAIL %s\n' "$*"; }

free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}
get() { curl -sS --noproxy '*' --max-time 10 "http://127.0.0.1:$1$2"; }
status() { curl -s --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2" || true; }
now_ms() { date +%s%3N; }
# Waits until /ready answers 200 (at most $2 seconds); prints the milliseconds it took.
wait_ready() {
  local port=$1 limit=$(($2 * 1000)) t0
  t0=$(now_ms)
  while [ $(($(now_ms) - t0)) -lt "$limit" ]; do
    [ "$(status "$port" /ready)" = 200 ] && { echo $(($(now_ms) - t0)); return 0; }
    sleep 0.05
  done
  return 1
}
run() { # name port [podman run options...]
  local name=$1 port=$2
  shift 2
  podman run -d --name "$name" --network=host -e FOLIO_LISTEN="127.0.0.1:$port" "$@" "$IMG" \
    >/dev/null 2>"$W/run.err" || { cat "$W/run.err"; return 1; }
}
stop_clean() { # name: podman stop, then the exit code must be 0
  local code
  podman stop -t 20 "$1" >/dev/null 2>&1 || true
  code=$(podman inspect --format '{{.State.ExitCode}}' "$1" 2>/dev/null || echo '?')
  [ "$code" = 0 ] && return 0
  echo "exit code $code"; podman logs --tail 20 "$1" 2>&1; return 1
}

size=$(podman image inspect --format '{{.Size}}' "$IMG")
size_mb=$((size / 1000000))
if [ "$size_mb" -lt 100 ]; then pass "image size $size_mb MB (< 100 MB)"; else fail "image size $size_mb MB (>= 100 MB)"; fi

config=$(podman image inspect --format '{{.Config.User}} {{json .Config.ExposedPorts}} {{.Config.StopSignal}}' "$IMG")
health=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$IMG" 2>/dev/null || true)
if [[ "$config" == "10001:10001 "*8080/tcp*" SIGTERM" && "$health" == *healthcheck* ]]; then
  pass "image config: user 10001:10001, port 8080, SIGTERM, HEALTHCHECK folio healthcheck"
else
  fail "image config: $config $health"
fi

# 1. The bundled corpus, indexed at build time: ready at once.
port=$(free_port)
a=${ctrs[0]}
if run "$a" "$port"; then
  if ms=$(wait_ready "$port" 5); then
    pass "bundled corpus: /ready 200 ${ms} ms after podman run"
  else
    fail "bundled corpus: /ready not 200 within 5 s"; podman logs --tail 20 "$a" 2>&1
  fi
  body=$(get "$port" '/search?q=trade&source=38%20North' || true)
  good=$(jq -r '.total > 0
        and ([.hits[].highlight.text | select(contains("<mark>"))] | length > 0)
        and ([.hits[].source] | all(. == "38 North"))
        and (.facets.source | type == "array" and length > 0)' 2>/dev/null <<<"$body" || true)
  if [ "$good" = true ]; then
    pass "faceted search: q=trade source=38 North -> $(jq -c '{total, source: .facets.source}' <<<"$body"), <mark> in highlights"
  else
    fail "faceted search: ${body:0:300}"
  fi
  if out=$(podman healthcheck run "$a" 2>&1); then
    pass "podman healthcheck run: ${out:-healthy}"
  else
    fail "podman healthcheck run: $out"
  fi
  uid=$(podman exec "$a" id -u 2>/dev/null || echo '?')
  if [ "$uid" != 0 ] && [ "$uid" != '?' ]; then pass "not root: id -u = $uid"; else fail "runs as uid $uid"; fi
  if out=$(stop_clean "$a"); then pass "podman stop: exit code 0 (bundled)"; else fail "podman stop: $out"; fi
else
  fail "podman run (bundled corpus)"
fi

# 2. A corpus of the user's, mounted read-only at /data/corpus, with the index in a named volume
#    and a read-only root filesystem (folio writes only to /data/index).
corpus=$(mktemp -d)
chmod 755 "$corpus"
for i in 1 2; do
  cat >"$corpus/note-$i.md" <<EOF
+++
title = "Container test note $i"
source = "Test Source"
year = 2020
+++

A paragraph of prose with a distinctive word, zanzibarite number $i, long enough to be a paragraph
of an article: the mineral trade of the island was the subject of several reports in the period.
EOF
  chmod 644 "$corpus/note-$i.md"
done
podman volume create "$vol" >/dev/null
port=$(free_port)
b=${ctrs[1]}
build=
if run "$b" "$port" --read-only -v "$corpus:/data/corpus:ro" -v "$vol:/data/index"; then
  if ms=$(wait_ready "$port" 60); then
    build=$(get "$port" /ready | jq -r '.build // empty')
    pass "mounted corpus (read-only root fs): indexed on start, /ready 200 after ${ms} ms (build $build)"
  else
    fail "mounted corpus: /ready not 200 within 60 s"; podman logs --tail 20 "$b" 2>&1
  fi
  hits=$(get "$port" '/search?q=zanzibarite' | jq -r '.total' 2>/dev/null || echo '?')
  docs=$(get "$port" /facets | jq -r '.documents' 2>/dev/null || echo '?')
  if [ "$hits" != '?' ] && [ "$hits" -gt 0 ] && [ "$docs" = 2 ]; then
    pass "mounted corpus: q=zanzibarite -> $hits hits, /facets documents = 2 (bundled articles gone)"
  else
    fail "mounted corpus: q=zanzibarite total=$hits, /facets documents=$docs (want > 0 and 2)"
  fi
  if out=$(stop_clean "$b"); then pass "podman stop: exit code 0 (mounted corpus)"; else fail "podman stop: $out"; fi
else
  fail "podman run (mounted corpus)"
fi

# 3. A new container on the same corpus and index volume: no rebuild.
c=${ctrs[2]}
if [ -n "$build" ] && run "$c" "$port" --read-only -v "$corpus:/data/corpus:ro" -v "$vol:/data/index"; then
  if ms=$(wait_ready "$port" 10); then
    again=$(get "$port" /ready | jq -r '.build // empty')
    logs=$(podman logs "$c" 2>&1 || true)
    if [ "$again" = "$build" ] && [[ "$logs" != *"building the index"* ]]; then
      pass "restart on the same corpus: no rebuild, /ready 200 after ${ms} ms, same build $again"
    else
      fail "restart on the same corpus rebuilt: build $build -> $again"; podman logs --tail 20 "$c" 2>&1
    fi
  else
    fail "restart: /ready not 200 within 10 s"; podman logs --tail 20 "$c" 2>&1
  fi
  if out=$(stop_clean "$c"); then pass "podman stop: exit code 0 (restarted)"; else fail "podman stop: $out"; fi
else
  fail "restart on the same corpus: not tried (no first build)"
fi
rm -rf "$corpus"

say "total $((SECONDS - started)) s"
say "$passed passed, $failed failed"
[ "$failed" = 0 ]
