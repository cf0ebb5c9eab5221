#!/usr/bin/env bash
# Uploads an image with curl -F and pretty-prints the answer.
#   scripts/curl-upload.sh IMAGE [STAGE]
# Where: API_URL (a deployed API's base URL, https://{id}.execute-api.{region}.amazonaws.com),
# else the local gateway at http://127.0.0.1:$PORT (PORT defaults to 3000, as npm start's).
# The key: API_KEY, else LOCAL_API_KEY, else .cache/local-api-key (written by npm start).
# Exit status: 0 for a 2xx or 3xx answer, 1 for an error answer or no answer, 2 for bad usage.
set -euo pipefail

me=$0
fail() {
  echo "$me: $1" >&2
  exit "${2:-1}"
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  fail "usage: $me IMAGE [STAGE]   (STAGE defaults to dev)" 2
fi
image=$1
stage=${2:-dev}
[ -f "$image" ] || fail "no such file: $image" 2

root=$(cd "$(dirname "$0")/.." && pwd)
port=${PORT:-3000}
url=${API_URL:-http://127.0.0.1:$port}
url=${url%/}
key_file="$root/.cache/local-api-key"
if [ -n "${API_KEY:-}" ]; then
  key=$API_KEY key_source=API_KEY
elif [ -n "${LOCAL_API_KEY:-}" ]; then
  key=$LOCAL_API_KEY key_source=LOCAL_API_KEY
elif [ -f "$key_file" ]; then
  key=$(tr -d '\n' < "$key_file") key_source=$key_file
else
  fail "no API key: set API_KEY (a deployed API's key) or LOCAL_API_KEY, or run npm start once (it writes $key_file)" 2
fi

# Where the request went, for messages: the local gateway is npm start's.
if [ -n "${API_URL:-}" ]; then
  where="$url (API_URL)"
  hint="check API_URL"
else
  where="$url"
  hint="is npm start running on port $port? (set PORT if it uses another)"
fi

# -q: ignore ~/.curlrc; -w: the status on the last line, split off below.
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
set +e
response=$(curl -q -sS -H "x-api-key: $key" -F "image=@$image" -w '\n%{http_code}' \
  "$url/$stage/predict" 2>"$errors")
curl_status=$?
set -e
if [ "$curl_status" -ne 0 ]; then
  case $curl_status in
    7) fail "could not connect to $where: $hint" ;;
    6) fail "could not resolve the host of $where: $hint" ;;
    28) fail "$where did not answer in time" ;;
    35 | 51 | 58 | 59 | 60) fail "the TLS connection to $where failed: $(cat "$errors")" ;;
    52) fail "$where closed the connection without answering" ;;
    55 | 56) fail "the connection to $where broke during the upload: $(cat "$errors")" ;;
    26) fail "curl could not read $image" ;;
    *) fail "curl failed (exit status $curl_status) for $where: $(cat "$errors")" ;;
  esac
fi

status=${response##*$'\n'}
body=${response%$'\n'*}
echo "HTTP $status"
printf '%s' "$body" | node -e '
  let text = "";
  process.stdin.on("data", (c) => (text += c));
  process.stdin.on("end", () => {
    try { console.log(JSON.stringify(JSON.parse(text), null, 2)); } catch { console.log(text); }
  });'
if [ "$status" = 403 ] && [[ $body == *'"INVALID_API_KEY"'* ]]; then
  fail "the API key from $key_source was refused: use the key npm start prints (or the deployed stage's key in API_KEY)"
fi
[ "$status" -lt 400 ] || exit 1
