#!/usr/bin/env bash
# The README's run command on an empty data folder must serve a computed demo scorecard and the dashboard.
set -euo pipefail
data=$(mktemp -d)
port=3917
log="$data/server.log"
env -u DATABASE_URL BELLWETHER_DATA_DIR="$data" BELLWETHER_CONFIG= PORT=$port node dist/server/cli.js serve >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
started=$(date +%s)
# Last week's scorecard: the current week has no records yet in its first hours (the demo
# organisation is in America/New_York, so a CI run early on a Monday, UTC, sees an empty one).
last_week=$(date -u -d '7 days ago' +%F)
for _ in $(seq 1 120); do
  if body=$(curl -fsS "http://127.0.0.1:$port/api/v1/scorecard?at=$last_week" 2>/dev/null); then
    if node -e "const b=JSON.parse(process.argv[1]); if(!b.demo||!b.kpis.some(k=>k.n>0)) process.exit(1)" "$body"; then
      echo "scorecard served with demo data after $(( $(date +%s) - started )) s"
      # The dashboard is served from the same port.
      if ! curl -fsS "http://127.0.0.1:$port/" | grep -q '<main id="main"'; then
        echo "the dashboard was not served at /" >&2
        exit 1
      fi
      echo "dashboard served at /"
      exit 0
    fi
  fi
  sleep 1
done
echo "the scorecard was not served within 120 s" >&2
cat "$log" >&2
exit 1
