#!/usr/bin/env bash
# Builds docker/Dockerfile and smoke-runs the image without a Docker engine or a registry,
# with Debian's buildah, podman and runc (tests/image/test_image.py drives it step by step;
# run it by hand as root: `bash scripts/image-smoke.sh all`).
#
#   base    a Debian sid base image from Debian's mirror (debootstrap), tagged with its
#           date: localhost/debian:sid-YYYYMMDD-slim, its rootfs tarball cached in
#           $TENURE_IMAGE_CACHE and reused for $TENURE_BASE_MAX_AGE days (default 7)
#   build   the tenure image (buildah bud --pull=never, layers and pip/model caches kept
#           between runs) and a small Redis image from the same base
#   up      Redis in a container with its own network namespace (--network none), the
#           image beside it in that namespace (no clash with ports on the host); waits
#           until /health answers
#   call    places a simulated caller (8000, key 1) inside the container; prints the
#           engine's call record as JSON
#   health  runs the image's HEALTHCHECK command
#   stop    `podman stop` of the engine container; prints the seconds it took
#   logs    the containers' logs
#   clean   removes the containers and the tenure image (keeps the cached base and the
#           Redis image built from it)
#   all     base, build, up, call, health, stop, clean; logs on failure
#
# Everything here is the test's own way to run the image; docker/compose.yaml is the
# user's. Secrets are fresh random values per run (in $TENURE_IMAGE_STATE/env, mode 600).
set -euo pipefail
cd "$(dirname "$0")/.."

STATE=${TENURE_IMAGE_STATE:-/var/tmp/tenure-image}
CACHE=${TENURE_IMAGE_CACHE:-/var/cache/tenure-image}
MIRROR=${ENGINE_SANDBOX_MIRROR:-http://deb.debian.org/debian}
MAX_AGE=${TENURE_BASE_MAX_AGE:-7}
IMAGE=${TENURE_IMAGE:-localhost/tenure:ci}
ENGINE_CT=tenure-ci
REDIS_CT=tenure-ci-redis

mkdir -p "$STATE" "$CACHE"
# crun fails on this kind of host (rlimits, hybrid cgroups): runc, with explicit limits.
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=65536
[ "$nofile" -gt 65536 ] && nofile=65536
cat > "$STATE/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF="$STATE/containers.conf"

say() { printf '[image %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# The cache key: the mirror and this recipe's version (bump it when cmd_base changes).
BASE_RECIPE=slim-1
mirror_key() { printf '%s %s' "$MIRROR" "$BASE_RECIPE" | sha256sum | cut -c1-12; }

# The newest cached base tarball for this mirror, if young enough.
cached_base() {
  local newest
  newest=$(find "$CACHE" -maxdepth 1 -name "debian-sid-*-$(mirror_key).tar" -mtime "-$MAX_AGE" \
    2> /dev/null | sort | tail -n 1)
  printf '%s' "$newest"
}

base_tag_of() { # debian-sid-20261207-<key>.tar -> localhost/debian:sid-20261207-slim
  local name
  name=$(basename "$1")
  name=${name#debian-sid-}
  printf 'localhost/debian:sid-%s-slim' "${name%%-*}"
}

cmd_base() {
  local tar root
  tar=$(cached_base)
  if [ -z "$tar" ]; then
    tar="$CACHE/debian-sid-$(date -u +%Y%m%d)-$(mirror_key).tar"
    root=$(mktemp -d /var/tmp/tenure-base.XXXXXX)
    say "debootstrap Debian sid from $MIRROR (cached in $tar)"
    if ! debootstrap --variant=minbase sid "$root" "$MIRROR" > "$STATE/debootstrap.log" 2>&1; then
      tail -n 20 "$STATE/debootstrap.log" >&2
      rm -rf "$root"
      exit 1
    fi
    # Slim like Debian's own debian:sid-slim: no manuals, docs (but copyrights) or
    # translations, now and for every package installed later.
    cat > "$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
EOF
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    rm -rf "$root"/usr/share/{groff,info,linda,man}/* "$root"/usr/share/lintian/overrides/*
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
    # An intercepting TLS proxy's CA (public certificates only) so pip inside the build
    # can verify PyPI; ca-certificates, installed by the Dockerfile, adds them to the store.
    if compgen -G "/usr/local/share/ca-certificates/*.crt" > /dev/null; then
      mkdir -p "$root/usr/local/share/ca-certificates"
      cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    fi
    tar -C "$root" --numeric-owner -cf "$tar.part" .
    mv "$tar.part" "$tar"
    rm -rf "$root"
    # Older bases (any mirror or recipe), their images and the Redis images built on them.
    for old in "$CACHE"/debian-sid-*.tar; do
      [ "$old" = "$tar" ] && continue
      podman rmi -f "$(base_tag_of "$old")" "localhost/tenure-redis:$(base_tag_of "$old" | cut -d: -f2)" \
        > /dev/null 2>&1 || true
      rm -f "$old"
    done
  fi
  local tag
  tag=$(base_tag_of "$tar")
  # The tag names the date; the label names the exact tarball (mirror and recipe).
  if [ "$(podman image inspect -f '{{index .Labels "org.tenure.base.rootfs"}}' "$tag" 2> /dev/null)" \
    != "$(basename "$tar")" ]; then
    say "importing $tar as $tag"
    podman import -q --change 'CMD ["/bin/bash"]' \
      --change "LABEL org.tenure.base.rootfs=$(basename "$tar")" "$tar" "$tag" > /dev/null
  fi
  printf '%s\n' "$tag"
}

cmd_build() {
  local base redis_tag started
  base=$(cmd_base)
  redis_tag="localhost/tenure-redis:${base##*:}"
  started=$(date +%s)
  say "building $IMAGE from docker/Dockerfile on $base"
  buildah bud --pull=never --isolation chroot --format docker --layers -q \
    --build-arg "BASE_IMAGE=$base" -f docker/Dockerfile -t "$IMAGE" . > "$STATE/build.log" 2>&1 || {
    tail -n 40 "$STATE/build.log" >&2
    exit 1
  }
  say "built $IMAGE in $(($(date +%s) - started)) s"
  # Rebuilt when its base changes (the base's image ID is in its label).
  if [ "$(podman image inspect -f '{{index .Labels "org.tenure.base.id"}}' "$redis_tag" 2> /dev/null)" \
    != "$(podman image inspect -f '{{.Id}}' "$base")" ]; then
    say "building $redis_tag (redis-server from the same base; the registry is not reachable)"
    printf '%s\n' \
      "FROM $base" \
      "RUN apt-get -o Acquire::Check-Valid-Until=false update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server > /dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*" \
      "LABEL org.tenure.base.id=$(podman image inspect -f '{{.Id}}' "$base")" \
      "USER redis" \
      'CMD ["redis-server", "--bind", "127.0.0.1", "--port", "6379", "--save", ""]' |
      buildah bud --pull=never --isolation chroot --format docker -q -t "$redis_tag" -f - . \
        > "$STATE/build-redis.log" 2>&1 || {
      tail -n 20 "$STATE/build-redis.log" >&2
      exit 1
    }
  fi
  printf '%s\n' "$redis_tag" > "$STATE/redis-image"
}

secret() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

cmd_up() {
  local redis_tag
  redis_tag=$(cat "$STATE/redis-image")
  cmd_clean_containers
  umask 077
  # docker/.env.example, as a user fills it in (fresh secrets, defaults kept), plus what
  # docker/compose.yaml sets itself.
  while IFS= read -r line; do
    case "$line" in
      *PASSWORD= | *SECRET= | *TOKEN=) [ "$line" = ENGINE_SIP_AGENT_PASSWORD= ] ||
        line="$line$(secret)" ;;
    esac
    printf '%s\n' "$line"
  done < <(grep -E '^[A-Z_]+=' docker/.env.example) > "$STATE/env"
  printf '%s\n' ENGINE_REDIS_URL=redis://127.0.0.1:6379/0 ENGINE_LOG_FORMAT=json >> "$STATE/env"
  say "starting $REDIS_CT (own network namespace) and $ENGINE_CT in it"
  # podman cannot schedule the HEALTHCHECK without systemd (`health` runs it): its
  # complaints about that go to a log, the rest to stderr.
  podman run -d --name "$REDIS_CT" --network none "$redis_tag" > /dev/null
  podman run -d --name "$ENGINE_CT" --network "container:$REDIS_CT" --env-file "$STATE/env" \
    "$IMAGE" > /dev/null 2> "$STATE/run.log" || {
    cat "$STATE/run.log" >&2
    exit 1
  }
  local started=$SECONDS
  until podman exec "$ENGINE_CT" /opt/tenure/.venv/bin/python -c \
    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8090/health', timeout=2)" \
    > /dev/null 2>&1; do
    if [ "$(podman inspect -f '{{.State.Running}}' "$ENGINE_CT")" != true ]; then
      say "the container exited"
      cmd_logs
      exit 1
    fi
    if [ $((SECONDS - started)) -gt 120 ]; then
      say "no /health after 120 s"
      cmd_logs
      exit 1
    fi
    sleep 1
  done
  say "engine healthy after $((SECONDS - started)) s"
}

# Runs Python inside the container with the engine's settings (ARI, API token).
in_container() { podman exec -i "$ENGINE_CT" /opt/tenure/.venv/bin/python - "$@"; }

cmd_call() {
  in_container <<'EOF'
import base64, json, os, time, urllib.error, urllib.parse, urllib.request
from engine.sim import parties

ari = "http://127.0.0.1:8088/ari"
auth = "Basic " + base64.b64encode(f"engine:{os.environ['ENGINE_ARI_PASSWORD']}".encode()).decode()
api = {"Authorization": f"Bearer {os.environ['ENGINE_API_TOKEN']}"}


def call(url, method="GET", body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


# Connected: the engine's ARI event stream and AMI login are up (it may still be
# connecting when /health first answers).
started = time.time()
while True:
    status = call("http://127.0.0.1:8090/status", headers=api)
    if status["ari"]["connected"] and status["ami"]["logged_in"] or time.time() > started + 60:
        break
    time.sleep(0.5)
status["waited"] = round(time.time() - started, 1)
try:  # and a wrong token is refused
    call("http://127.0.0.1:8090/status", headers={"Authorization": "Bearer wrong"})
    status["wrong_token"] = 200
except urllib.error.HTTPError as exc:
    status["wrong_token"] = exc.code
# The caller dials 8000 (the IVR's main menu), presses 1 (technical), talks 4 s to the
# simulated agent who answers after 1 s, then hangs up.
params = parties.caller("8000", "13800138000", dtmf="1", dtmf_delay=2.0, hold=12.0)
variables = params.pop("variables")
endpoint = params.pop("endpoint")
query = urllib.parse.urlencode({"endpoint": endpoint, "channelId": "image-smoke-1", **params})
call(f"{ari}/channels?{query}", "POST", {"variables": variables}, {"Authorization": auth})
deadline = time.time() + 60
record = None
while time.time() < deadline:
    records = call("http://127.0.0.1:8090/calls/records?limit=10", headers=api)["records"]
    done = [r for r in records if r.get("caller_number") == "13800138000" and r.get("ended_at")]
    if done:
        record = done[0]
        break
    time.sleep(0.5)
print(json.dumps({"status": status, "record": record}))
EOF
}

cmd_health() {
  say "HEALTHCHECK $(podman image inspect -f '{{json .HealthCheck.Test}}' "$IMAGE")"
  # Runs the image's own HEALTHCHECK command in the container; exit 0 if healthy.
  podman healthcheck run "$ENGINE_CT" 2> "$STATE/health.log" || {
    grep -v 'systemd connection' "$STATE/health.log" >&2
    exit 1
  }
  say "HEALTHCHECK passed"
}

cmd_stop() {
  local t0 t1
  t0=$(date +%s.%N)
  podman stop -t 30 "$ENGINE_CT" > /dev/null 2> "$STATE/stop.log" || {
    cat "$STATE/stop.log" >&2
    exit 1
  }
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.1f}')"
}

cmd_logs() {
  for c in "$ENGINE_CT" "$REDIS_CT"; do
    podman container exists "$c" || continue
    echo "---- podman logs $c (last 80 lines)" >&2
    podman logs --tail 80 "$c" >&2 || true
  done
}

cmd_clean_containers() {
  # The engine first: it lives in the Redis container's network namespace.
  podman rm -f -t 0 "$ENGINE_CT" > /dev/null 2>&1 || true
  podman rm -f -t 0 "$REDIS_CT" > /dev/null 2>&1 || true
}

cmd_clean() {
  cmd_clean_containers
  podman rmi "$IMAGE" > /dev/null 2>&1 || true
  rm -f "$STATE/env"
}

cmd_all() {
  trap 'status=$?; [ $status -eq 0 ] || cmd_logs; cmd_clean; exit $status' EXIT
  cmd_build
  cmd_up
  cmd_call
  cmd_health
  say "podman stop took $(cmd_stop) s"
  podman image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "image size %.0f MB\n", $1/1e6}' >&2
}

case "${1:-}" in
  base | build | up | call | health | stop | logs | clean | all) "cmd_$1" ;;
  *)
    echo "usage: $0 base|build|up|call|health|stop|logs|clean|all" >&2
    exit 2
    ;;
esac
