#!/usr/bin/env bash
# A private PC/SC stack for vpcd: pcscd in a network namespace of its own whose loopback routes carry
# `quickack 1`, with a private /run/pcscd (unshare --mount), so it never meets the system's pcscd.
#
# Why: vpcd writes each frame's length and payload in two send() calls; with Nagle's algorithm and
# Linux delayed ACK every APDU then stalls ~40 ms (≈20 APDU/s). Routes with quickack 1 remove the
# stall. See shared/reference/vpcd-protocol.md.
#
#   quickack-namespace.sh up DIR [NAME]    start; prints KEY=VALUE lines (below); DIR receives the socket and log
#   quickack-namespace.sh up-plain DIR [CONF]   the same without a network namespace (plain loopback, ~20 APDU/s);
#                                          CONF: a reader.conf.d folder of its own (e.g. vpcd on another port,
#                                          so that several daemons share the host's loopback)
#   quickack-namespace.sh down [NAME] PID…   stop the given PIDs (TERM, then KILL after 3 s), delete the namespace
#   quickack-namespace.sh probe            exit 0 when network namespaces may be created here
#
# `up` prints:
#   NETNS=<name>                     the namespace ('' for up-plain)
#   PCSCD_PID=<pid>                  pcscd itself (stop it with `down`, by this PID)
#   PCSCLITE_CSOCK_NAME=<DIR>/pcscd.comm   export it: PC/SC clients (opensc-tool, pyscard, smartcard) then reach this pcscd
# With CARDLAB_OWNER_PID set, a watchdog stops pcscd (by its PID) and deletes the namespace once that
# process is gone, however it ended (even SIGKILL); with CARDLAB_OWNED_DIR also set, it then removes that
# directory (the owner's private temporary folder).
# Run the card process in the namespace: `ip netns exec $NETNS cardlab card serve --vpcd 35963 --card card.json`
# (with up-plain: directly).
# Nothing here is ever stopped by name.
set -euo pipefail

die() { echo "quickack-namespace: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"; }

start_pcscd() { # DIR, CONF ('' = the system's), NETNS ('' = none), then the command prefix that enters the namespace
  local dir=$1 conf=$2 netns=$3; shift 3
  need pcscd "apt-get install pcscd vsmartcard-vpcd"
  need unshare "apt-get install util-linux"
  [ -e /etc/reader.conf.d/vpcd ] || die "/etc/reader.conf.d/vpcd missing: apt-get install vsmartcard-vpcd"
  mkdir -p "$dir" /run/pcscd
  rm -f "$dir/pcscd.comm" "$dir/pcscd.pid"
  # ip netns exec, unshare (without --fork) and sh all exec, so $! is pcscd's own PID.
  "$@" unshare --mount --propagation private sh -c 'mount --bind "$1" /run/pcscd && shift && exec pcscd -f "$@"' sh "$dir" ${conf:+-c "$conf"} >"$dir/pcscd.log" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 1 100); do
    [ -S "$dir/pcscd.comm" ] && break
    kill -0 "$pid" 2>/dev/null || die "pcscd exited at start: $(tail -n 3 "$dir/pcscd.log" | tr '\n' ' ')"
    sleep 0.05
  done
  [ -S "$dir/pcscd.comm" ] || { kill "$pid" 2>/dev/null; die "pcscd did not create its socket within 5 s: $(tail -n 3 "$dir/pcscd.log" | tr '\n' ' ')"; }
  echo "PCSCD_PID=$pid"
  echo "PCSCLITE_CSOCK_NAME=$dir/pcscd.comm"
  if [ -n "${CARDLAB_OWNER_PID:-}" ]; then
    local owner=$CARDLAB_OWNER_PID owned=${CARDLAB_OWNED_DIR:-}
    ( while kill -0 "$owner" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -KILL "$pid" 2>/dev/null
      if [ -n "$netns" ]; then sleep 0.2; ip netns del "$netns" 2>/dev/null; fi
      # Only the owner's gone: a folder it still uses (pcscd stopped under it otherwise) is left alone.
      if [ -n "$owned" ] && ! kill -0 "$owner" 2>/dev/null; then rm -rf -- "$owned"; fi ) >/dev/null 2>&1 </dev/null &
  fi
}

case "${1:-}" in
  probe)
    need ip "apt-get install iproute2"
    name="cardlab-probe-$$"
    ip netns add "$name" 2>/dev/null || exit 1
    ip netns del "$name"
    ;;
  up)
    [ $# -ge 2 ] || die "usage: $0 up DIR [NAME]"
    dir=$2; name=${3:-cardlab-$$}
    need ip "apt-get install iproute2"
    ip netns add "$name" || die "cannot create network namespace $name (needs root / CAP_SYS_ADMIN); use up-plain"
    ip netns exec "$name" ip link set lo up
    ip netns exec "$name" ip route change local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 quickack 1
    ip netns exec "$name" ip route change local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 quickack 1
    echo "NETNS=$name"
    start_pcscd "$dir" "" "$name" ip netns exec "$name" || { ip netns del "$name"; exit 1; }
    ;;
  up-plain)
    [ $# -ge 2 ] || die "usage: $0 up-plain DIR [CONF]"
    echo "NETNS="
    start_pcscd "$2" "${3:-}" ""
    ;;
  down)
    shift
    name=""
    if [ $# -gt 0 ] && ! [[ $1 =~ ^[0-9]+$ ]]; then name=$1; shift; fi
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "$@"; do
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -KILL "$pid" 2>/dev/null || true
    done
    if [ -n "$name" ]; then ip netns del "$name" 2>/dev/null || true; fi
    ;;
  *)
    sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
