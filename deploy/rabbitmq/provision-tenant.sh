#!/usr/bin/env bash
# Gives a tenant a RabbitMQ user that may submit training jobs as that tenant, and read only that tenant's
# rejections (docs/messaging.md, "Submitting as a tenant"). Idempotent: run it again to reset the user's
# permissions and password. Talks to RabbitMQ's management HTTP API, so it works against any broker you reach.
#
#   provision-tenant.sh TENANT [USER]
#
#   TENANT  the platform tenant id (1-63 characters of a-z, 0-9 and '-', starting with a letter or digit)
#   USER    the RabbitMQ user to create or update (default: tenant-TENANT)
#
# Environment:
#   RABBITMQ_MANAGEMENT_URL  the management API, with an administrator's credentials (default http://guest:guest@localhost:15672)
#   RABBITMQ_VHOST           the platform's virtual host (default /)
#   TENANT_USER_PASSWORD     the user's password; unset: a random one is made and printed once
#
# What it sets up, in the virtual host (the rabbitmqctl equivalent is in docs/messaging.md):
#   - the user, with no tags (never `impersonator`: that tag lets a user write any user_id);
#   - permissions: publish to the exchange platform.submit-training-job, read the exchange
#     platform.training-job-rejected, and declare, bind and read queues named TENANT.*;
#   - topic permission on platform.training-job-rejected: bind with the routing key TENANT only;
#   - that topic exchange, and the queue TENANT.training-job-rejected bound to it with routing key TENANT.
# Then prints the scheduler setting that maps the user to the tenant.
set -euo pipefail

die() { printf 'provision-tenant: error: %s\n' "$*" >&2; exit 1; }

[[ $# -ge 1 && $# -le 2 ]] || { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
tenant="$1"
user="${2:-tenant-$tenant}"
[[ "$tenant" =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]] || die "'$tenant' is not a valid tenant id (1-63 characters of a-z, 0-9 and '-', starting with a letter or digit)"
[[ -n "$user" && "$user" != *[[:cntrl:]]* ]] || die "the user name must be printable text"
command -v curl >/dev/null || die "curl is needed"

management="${RABBITMQ_MANAGEMENT_URL:-http://guest:guest@localhost:15672}"
vhost="${RABBITMQ_VHOST:-/}"
rejections=platform.training-job-rejected
queue="$tenant.training-job-rejected"

# The credentials go to curl through a config on a file descriptor, not the command line others can list.
[[ "$management" =~ ^(https?://)(([^@/]*)@)?([^/]+)(/.*)?$ ]] || die "RABBITMQ_MANAGEMENT_URL is not an http(s) URL"
base="${BASH_REMATCH[1]}${BASH_REMATCH[4]}"
credentials="${BASH_REMATCH[3]}"

curl_config=""
if [[ -n "$credentials" ]]; then
  decoded="$(printf '%b' "${credentials//%/\\x}")"
  curl_config="user = \"$(sed 's/["\\]/\\&/g' <<<"$decoded")\""
fi

urlencode() {
  local LC_ALL=C text="$1" out="" char i
  for (( i = 0; i < ${#text}; i++ )); do
    char="${text:i:1}"
    case "$char" in
      [A-Za-z0-9._~-]) out+="$char" ;;
      *) out+="$(printf '%%%02X' "$(( $(printf '%d' "'$char") & 255 ))")" ;;
    esac
  done
  printf '%s' "$out"
}

json_string() {
  local text="$1"
  text="${text//\\/\\\\}"
  text="${text//\"/\\\"}"
  printf '"%s"' "$text"
}

# api METHOD PATH [JSON]: one management API call; the body comes on standard input.
api() {
  local method="$1" path="$2" body="${3:-}"
  curl --silent --show-error --fail-with-body --config /dev/fd/3 -X "$method" -H 'content-type: application/json' \
    --data-binary @- "$base/api/$path" <<<"$body" 3<<<"$curl_config" >/dev/null \
    || die "$method /api/$path failed"
}

password="${TENANT_USER_PASSWORD:-}"
generated=0
if [[ -z "$password" ]]; then
  password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=' | cut -c1-24)"
  generated=1
fi
[[ "$password" != *[[:cntrl:]]* ]] || die "the password must be printable text"

v="$(urlencode "$vhost")"
u="$(urlencode "$user")"
api PUT "users/$u" "{\"password\": $(json_string "$password"), \"tags\": \"\"}"
api PUT "exchanges/$v/$rejections" '{"type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {}}'
api PUT "queues/$v/$(urlencode "$queue")" '{"durable": true, "auto_delete": false, "arguments": {}}'
api POST "bindings/$v/e/$rejections/q/$(urlencode "$queue")" "{\"routing_key\": \"$tenant\", \"arguments\": {}}"
# Regular expressions as rabbitmqctl takes them (docs/messaging.md), JSON-escaped; a tenant id holds no regex
# character but '-', which is literal outside brackets.
api PUT "permissions/$v/$u" "{\"configure\": \"^$tenant\\\\.\", \"write\": \"^(platform\\\\.submit-training-job|$tenant\\\\..*)\$\", \"read\": \"^(platform\\\\.training-job-rejected|$tenant\\\\..*)\$\"}"
api PUT "topic-permissions/$v/$u" "{\"exchange\": \"$rejections\", \"write\": \"^\$\", \"read\": \"^$tenant\$\"}"

printf 'RabbitMQ user %s publishes for tenant %s in virtual host %s; its rejections arrive in queue %s.\n' "$user" "$tenant" "$vhost" "$queue"
[[ "$generated" == 1 ]] && printf 'Password (shown once): %s\n' "$password"
printf 'Scheduler setting: Messaging:Submission:Publishers:%s = %s (environment: Messaging__Submission__Publishers__%s=%s)\n' \
  "$user" "$tenant" "$user" "$tenant"
