#!/usr/bin/env bash
# Make sure each named service the tests need is listening on loopback; start it if it is down.
# Usage: scripts/services.sh postgresql nats ...
# The start commands are the machine's own (see the env notes of the tool library).
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  case "$1" in
    postgresql) pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start ;;
    nats) start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
            -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log ;;
    redis) redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
            --dir /var/lib/redis --logfile /var/log/redis/ci.log ;;
    *) echo "services.sh: unknown service '$1'" >&2; return 2 ;;
  esac
}

port_of() {
  case "$1" in
    postgresql) echo 5432 ;; nats) echo 4222 ;; redis) echo 6379 ;;
    *) echo "services.sh: unknown service '$1'" >&2; return 2 ;;
  esac
}

for svc in "$@"; do
  port=$(port_of "$svc")
  if port_open "$port"; then
    echo "services: $svc up on 127.0.0.1:$port"
    continue
  fi
  echo "services: $svc down on 127.0.0.1:$port, starting it"
  start "$svc" || true
  for _ in $(seq 1 60); do
    port_open "$port" && break
    sleep 0.5
  done
  if port_open "$port"; then
    echo "services: $svc started"
  else
    echo "services: $svc did not come up on 127.0.0.1:$port" >&2
    exit 1
  fi
done
