#!/usr/bin/env bash
# Uploads an image with curl -F and pretty-prints the answer.
#   scripts/curl-upload.sh IMAGE [STAGE]
# Local (npm start running): the key comes from LOCAL_API_KEY or .cache/local-api-key,
# the URL from PORT (default 3000). Deployed: set API_URL (the stage URL's base,
# https://{id}.execute-api.{region}.amazonaws.com) and API_KEY.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 IMAGE [STAGE]   (STAGE defaults to dev)" >&2
  exit 2
fi
image=$1
stage=${2:-dev}
if [ ! -f "$image" ]; then
  echo "$0: no such file: $image" >&2
  exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
url=${API_URL:-http://127.0.0.1:${PORT:-3000}}
key=${API_KEY:-${LOCAL_API_KEY:-}}
if [ -z "$key" ] && [ -f "$root/.cache/local-api-key" ]; then
  key=$(tr -d '\n' < "$root/.cache/local-api-key")
fi
if [ -z "$key" ]; then
  echo "$0: no API key: set API_KEY (deployed) or start the local gateway with npm start" >&2
  exit 2
fi

# -q: ignore ~/.curlrc; -w: the status on the last line, split off below.
response=$(curl -q -sS -H "x-api-key: $key" -F "image=@$image" -w '\n%{http_code}' "${url%/}/$stage/predict")
status=${response##*$'\n'}
body=${response%$'\n'*}
echo "HTTP $status"
printf '%s' "$body" | node -e '
  let text = "";
  process.stdin.on("data", (c) => (text += c));
  process.stdin.on("end", () => {
    try { console.log(JSON.stringify(JSON.parse(text), null, 2)); } catch { console.log(text); }
  });'
[ "$status" -lt 400 ]
