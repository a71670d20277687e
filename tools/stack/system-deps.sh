#!/usr/bin/env bash
# Installs the system programs formscale needs on a Debian or Ubuntu machine:
#   redis-server, redis-cli   (redis-server, which pulls redis-tools)  the local stack's Redis
#   initdb, pg_ctl, psql ...  (postgresql, which pulls postgresql-NN)  the local stack's primary and replicas
#   nginx                     (nginx)                                  load balancer and edge cache
#   promtool                  (prometheus)                             checks the alerting and recording rules
#   chromium                  (chromium)                               the dashboard's browser tests
#   wrk                       (wrk)                                    the load test
#   runuser, mktemp           (util-linux, coreutils: always there)    the stack runs PostgreSQL as `postgres` when root
#
# As root it installs what is missing with apt-get; as a normal user it prints
# the one command to run. Safe to run again: with nothing missing it does nothing.
# With CI=true a program still missing at the end makes it exit non-zero.
set -euo pipefail

# tool|package|how to find it
TOOLS=(
  "redis-server|redis-server|command"
  "redis-cli|redis-server|command"
  "initdb (PostgreSQL server)|postgresql|pg_server"
  "psql|postgresql|command"
  "nginx|nginx|sbin"
  "promtool|prometheus|command"
  "chromium|chromium|command"
  "wrk|wrk|command"
)

has_tool() {
  local name=$1 how=$2
  case $how in
    command) command -v "$name" >/dev/null 2>&1 ;;
    # A normal user's PATH often lacks /usr/sbin, where Debian puts nginx.
    sbin) command -v "$name" >/dev/null 2>&1 || [ -x "/usr/sbin/$name" ] ;;
    # Debian keeps the server programs off PATH, in /usr/lib/postgresql/<version>/bin.
    pg_server)
      command -v initdb >/dev/null 2>&1 ||
        { command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir 2>/dev/null)/initdb" ]; } ||
        compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
      ;;
  esac
}

# Fills MISSING_TOOLS and MISSING_PACKAGES (each package once).
find_missing() {
  MISSING_TOOLS=()
  MISSING_PACKAGES=()
  local entry name package how
  for entry in "${TOOLS[@]}"; do
    IFS='|' read -r name package how <<<"$entry"
    local probe=${name%% *}
    if ! has_tool "$probe" "$how"; then
      MISSING_TOOLS+=("$name ($package)")
      [[ " ${MISSING_PACKAGES[*]-} " == *" $package "* ]] || MISSING_PACKAGES+=("$package")
    fi
  done
}

# "a (x), b (y)" for messages.
joined() {
  local IFS=,
  local list="$*"
  echo "${list//,/, }"
}

fail_if_ci() {
  if [ "${CI:-}" = "true" ]; then
    echo "system-deps: missing: $(joined "${MISSING_TOOLS[@]}")" >&2
    exit 1
  fi
}

find_missing
if [ ${#MISSING_TOOLS[@]} -eq 0 ]; then
  echo "system-deps: all present (redis-server, postgresql, nginx, promtool, chromium, wrk)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing $(joined "${MISSING_TOOLS[@]}"); this is not a Debian/Ubuntu system: install them with its package manager, or use docker compose (infra/compose)"
  fail_if_ci
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing $(joined "${MISSING_TOOLS[@]}"); run:"
  echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${MISSING_PACKAGES[*]}"
  fail_if_ci
  exit 0
fi

# Debian's packages start their services on install (redis on 6379, nginx on
# 80, prometheus on 9090, a postgresql cluster on 5432) wherever init scripts
# can run. The stack starts its own servers on its own ports, so forbid those
# starts for this install: invoke-rc.d asks policy-rc.d, and 101 means "no".
# An existing policy (Docker images ship one) is left as it is.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# Temporary, from formscale tools/stack/system-deps.sh: no service starts during this install.\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  trap 'rm -f "$POLICY"' EXIT
fi

echo "system-deps: installing ${MISSING_PACKAGES[*]} (missing: $(joined "${MISSING_TOOLS[@]}"))"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# No recommends: prometheus would bring node-exporter (a service on :9100) and
# chromium a desktop's worth of extras that headless use does not need.
apt-get install -y -qq --no-install-recommends "${MISSING_PACKAGES[@]}"

find_missing
if [ ${#MISSING_TOOLS[@]} -gt 0 ]; then
  echo "system-deps: still missing after apt-get install: $(joined "${MISSING_TOOLS[@]}")" >&2
  exit 1
fi
echo "system-deps: all present (redis-server, postgresql, nginx, promtool, chromium, wrk)"
