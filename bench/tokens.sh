#!/usr/bin/env bash
# The OAuth paths against their crypto reference: token issuance for both grants
# (client_credentials with a secret, jwt-bearer with a machine key) and both token types (an
# opaque token for a BEARER user, an RS256 JWT for a JWT user), introspection, and a GET
# authenticated with a JWT access token beside the same GET with the same user's PAT.
#   bench/tokens.sh                          the embedded cluster of ./run (.data/, durable)
#   DATABASE_URL=... bench/tokens.sh         another server (use a durable one: fsync on)
#   LEVELS="8 32" DURATION=10 USERS=64       concurrencies, seconds per point, users per type
#   BINARY=build-bench/machine-users         the server to measure (default build/machine-users)
#   PERF=DIR                                 also a perf profile of the server during each
#                                            measured run: DIR/<point>.data (perf report -i)
# The reference is `openssl speed -multi 2 rsa2048` (both cores, measured here first, with
# nothing else running): each issuance signs an id token (scope openid), a JWT user's also its
# access token, and a jwt-bearer request verifies the assertion, so its reference rate is
# 1 / (signs / sign_rate + verifies / verify_rate). Introspection and GET verify (JWT) or hash
# (opaque, PAT): their reference is the other token kind's same call.
# Needs wrk, jq and openssl (installed if missing).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
source scripts/lib.sh
source bench/lib.sh
ensure_packages wrk jq openssl
bench_init
duration=${DURATION:-10}
warmup=${WARMUP:-3}
levels=${LEVELS:-8 32}
users=${USERS:-64}
binary=${BINARY:-build/machine-users}

work=$(mktemp -d)
trap 'bench_cleanup; rm -rf -- "$work"' EXIT

# ---- the crypto reference, before anything else runs ------------------------------------
read -r sign_rate verify_rate < <(openssl speed -seconds 5 -multi 2 rsa2048 2>/dev/null |
  awk '/^rsa 2048 bits/ {print $6, $7}')
mu_log "openssl speed -multi 2 rsa2048: $sign_rate sign/s, $verify_rate verify/s"
crypto_ref() {  # signs verifies: requests/s the crypto alone allows
  awk -v s="$1" -v v="$2" -v sr="$sign_rate" -v vr="$verify_rate" 'BEGIN { printf "%.0f", 1 / (s / sr + v / vr) }'
}

# ---- a server with a signing key, and its users ----------------------------------------
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/signing.pem" 2>/dev/null
bench_database mu_bench_tokens
bench_serve "$binary" --signing-key "$work/signing.pem"
# No --issuer: it is http:// and the Host header, which wrk and curl send as below.
base="http://127.0.0.1:$BENCH_PORT"
api() {  # METHOD PATH [BODY]: the answer's body; fails on any status but 200
  curl -sf -X "$1" "$base/management/v1$2" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d "${3:-{\}}"
}
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
scope='openid%20urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid%3Azitadel%3Aaud'
mu_log "adding $users BEARER and $users JWT users, each with a secret and a key"
for type in BEARER JWT; do
  : >"$work/cc-$type" && : >"$work/jb-$type"
  for ((i = 1; i <= users; i++)); do
    name="tok-$type-$i"
    id=$(api POST /users/machine "{\"userName\":\"$name\",\"name\":\"t\"}" | jq -r .userId)
    echo "$id" >>"$work/ids"
    # BEARER is a new user's type already (the same again would be refused as no change).
    [[ $type == BEARER ]] ||
      api PUT "/users/$id/machine" "{\"name\":\"t\",\"accessTokenType\":\"ACCESS_TOKEN_TYPE_$type\"}" >/dev/null
    secret=$(api PUT "/users/$id/secret" | jq -r .clientSecret)
    printf 'Basic %s\tgrant_type=client_credentials&scope=%s\n' \
      "$(printf '%s:%s' "$name" "$secret" | openssl base64 -A)" "$scope" >>"$work/cc-$type"
    api POST "/users/$id/keys" '{"type":"KEY_TYPE_JSON"}' | jq -r .keyDetails | openssl base64 -d -A >"$work/key.json"
    jq -r .key "$work/key.json" >"$work/key.pem"
    header=$(jq -cn --arg kid "$(jq -r .keyId "$work/key.json")" '{alg:"RS256",kid:$kid}' | b64url)
    claims=$(jq -cn --arg id "$id" --arg aud "$base" --argjson now "$now" \
      '{iss:$id,sub:$id,aud:$aud,iat:$now,exp:($now + 3600)}' | b64url)
    signature=$(printf '%s.%s' "$header" "$claims" | openssl dgst -sha256 -sign "$work/key.pem" -binary | b64url)
    printf -- '-\tgrant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer&scope=%s&assertion=%s.%s.%s\n' \
      "$scope" "$header" "$claims" "$signature" >>"$work/jb-$type"
  done
done

# Introspection: one opaque token per BEARER user, asked about by its owner (its secret).
: >"$work/introspect"
while IFS=$'\t' read -r auth body; do
  token=$(curl -sf "$base/oauth/v2/token" -H "authorization: $auth" -d "$body" | jq -r .access_token)
  printf '%s\ttoken=%s\n' "$auth" "$token" >>"$work/introspect"
done <"$work/cc-BEARER"
# GET /users/{id} as one JWT user that is ORG_OWNER: with its JWT access token, and its PAT.
IFS=$'\t' read -r owner_auth owner_body < <(head -1 "$work/cc-JWT")
owner=$(curl -sf "$base/oauth/v2/introspect" -H "authorization: $owner_auth" \
  -d "token=$(curl -sf "$base/oauth/v2/token" -H "authorization: $owner_auth" -d "$owner_body" | jq -r .access_token)" |
  jq -r .sub)
api POST /orgs/me/members "{\"userId\":\"$owner\",\"roles\":[\"ORG_OWNER\"]}" >/dev/null
owner_jwt=$(curl -sf "$base/oauth/v2/token" -H "authorization: $owner_auth" -d "$owner_body" | jq -r .access_token)
owner_pat=$(api POST "/users/$owner/pats" '{"expirationDate":"2099-01-01T00:00:00Z"}' | jq -r .token)
[[ "$owner_jwt" == *.*.* && -n "$owner_pat" && "$owner_pat" != null ]] || mu_die "no JWT or PAT for the GET"
USER_IDS_FILE=$work/ids
export USER_IDS_FILE

# Every kind of request once through curl first: a bench of refusals would measure nothing.
for file in cc-BEARER jb-BEARER cc-JWT jb-JWT introspect; do
  path=/oauth/v2/token
  [[ $file == introspect ]] && path=/oauth/v2/introspect
  IFS=$'\t' read -r auth body < <(head -1 "$work/$file")
  headers=(-H 'content-type: application/x-www-form-urlencoded')
  [[ $auth == - ]] || headers+=(-H "authorization: $auth")
  answer=$(curl -s -w ' %{http_code}' "$base$path" "${headers[@]}" -d "$body")
  [[ $answer == *' 200' && $answer != *'"active":false'* ]] || mu_die "$file: $answer"
  # The user's type decides the token's kind: two dots for a JWT, none for an opaque token.
  kind=$(jq -r '.access_token // "" | if test("^[^.]+\\.[^.]+\\.[^.]+$") then "jwt" else "opaque" end' <<<"${answer% *}")
  case $file in
    *-JWT) [[ $kind == jwt ]] || mu_die "$file: a JWT user got no JWT: ${answer% *}" ;;
    *-BEARER) [[ $kind == opaque ]] || mu_die "$file: a BEARER user got a JWT" ;;
  esac
done

# ---- the points ---------------------------------------------------------------------------
# wrk's req/s, p50 / p99 and non-2xx of one run, after a warm-up run that is thrown away.
server_pid=${BENCH_PIDS[-1]}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
wrk_point() {  # c script [point name]: req/s|p50 / p99|non-2xx|the server's CPU µs per request
  local c=$1 script=$2 run before threads=2
  ((c >= 2)) || threads=1  # wrk needs a connection per thread
  # update_machine.lua names each write after RUN_ID: a run of its own sends no name twice.
  run=$(date +%s%N)
  RUN_ID="w$run." wrk -t"$threads" -c"$c" -d"${warmup}s" -s "$script" "$base" >/dev/null
  if [[ -n "${PERF:-}" ]]; then
    mkdir -p "$PERF"
    perf record -q -F 499 -g -p "$server_pid" -o "$PERF/${3:-point}-c$c.data" -- sleep "$duration" \
      >/dev/null 2>&1 &
  fi
  before=$(cpu_ticks)
  RUN_ID="r$run." wrk -t"$threads" -c"$c" -d"${duration}s" -s "$script" "$base" |
    awk -v ticks="$(getconf CLK_TCK)" -v before="$before" -v pid="$server_pid" '
      /Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$NF} /^p50/ {lat=$2 " / " $5} /requests in/ {n=$1}
      END {getline stat < ("/proc/" pid "/stat"); split(stat, f, " ");
           printf "%.0f|%s|%d|%.0f\n", rps, lat, bad, n ? (f[14] + f[15] - before) * 1e6 / ticks / n : 0}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
row() {  # call c crypto_reference_name crypto_rate put_rate "wrk point"; sets LAST_RPS
  local rps lat bad cpu
  IFS='|' read -r rps lat bad cpu <<<"$6"
  printf '| %s | %s | %s | %s ms | %s | %s | %s | %s | %s |\n' "$1" "$2" "$rps" "$lat" "$bad" "$cpu" \
    "${3:+$3 $4}" "${4:+$(ratio "$rps" "$4")}" "${5:+$(ratio "$rps" "$5")}"
  LAST_RPS=$rps
}

printf '\n## bench/tokens.sh, %s, commit %s, nproc %s, %s s per point (%s s warm-up), %s users per type\n\n' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)" \
  "$(nproc)" "$duration" "$warmup" "$users"
printf 'openssl speed -multi 2 rsa2048: %s sign/s, %s verify/s.\n\n' "$sign_rate" "$verify_rate"
printf '| call | c | req/s | p50 / p99 | non-2xx | server CPU µs/req | reference (req/s) | ratio | ratio to PUT |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for c in $levels; do
  # The write path's reference: PUT /users/{id}/machine on the same users, one durable append
  # as an issuance is, without its crypto.
  row "PUT /users/{id}/machine (no crypto)" "$c" "" "" "" \
    "$(wrk_point "$c" bench/update_machine.lua put)"
  put=$LAST_RPS
  for type in BEARER JWT; do
    signs=1
    [[ $type == JWT ]] && signs=2
    row "token, client_credentials, $type user" "$c" "RSA $signs sign:" "$(crypto_ref "$signs" 0)" "$put" \
      "$(REQUESTS_FILE=$work/cc-$type wrk_point "$c" bench/oauth_requests.lua "cc-$type")"
    row "token, jwt-bearer, $type user" "$c" "RSA $signs sign + 1 verify:" "$(crypto_ref "$signs" 1)" "$put" \
      "$(REQUESTS_FILE=$work/jb-$type wrk_point "$c" bench/oauth_requests.lua "jb-$type")"
  done
  row "GET /users/{id}, PAT" "$c" "" "" "" "$(TOKEN=$owner_pat wrk_point "$c" bench/get_user.lua get-pat)"
  pat=$LAST_RPS
  row "GET /users/{id}, JWT access token" "$c" "PAT GET:" "$pat" "" \
    "$(TOKEN=$owner_jwt wrk_point "$c" bench/get_user.lua get-jwt)"
  row "introspect, opaque token (no crypto)" "$c" "" "" "" \
    "$(REQUESTS_FILE=$work/introspect REQUESTS_PATH=/oauth/v2/introspect wrk_point "$c" bench/oauth_requests.lua introspect)"
done
