#!/usr/bin/env bash
# Proves the ingress addon serves for real on a running profile: `minikube addons enable ingress` (timed), then a
# Deployment pair behind an Ingress of class nginx (host todo.local, / and /api to two backends), reached on
# $(minikube ip):80 and :443 with a Host header; a redirect and its cookie must pass through unchanged; then a tls
# Secret on the Ingress. Cleans up its namespace; leaves the addon enabled. Needs minikube.env in the environment
# (build.sh prints it), curl and openssl.
# Usage: check.sh PROFILE
set -euo pipefail
P=${1:?usage: check.sh PROFILE}
: "${MINIKUBE_HOME:?source minikube.env first (written by ../build.sh)}"
K8S_VERSION=$(source "$(dirname "$0")/../lib.sh" && echo "$K8S_VERSION")   # the version build.sh cached
K() { "$MINIKUBE_HOME/cache/linux/amd64/$K8S_VERSION/kubectl" --context "$P" "$@"; }
NS=ingress-check IMG=mk-ingress-check:1 HOST=todo.local
step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; K get pods -A -o wide >&2 || true; exit 1; }
expect() { # description expected-substring actual
  case $3 in *"$2"*) printf 'ok: %s\n' "$1" ;; *) fail "$1: expected '$2' in: $3" ;; esac
}

step "minikube addons enable ingress -p $P"
t0=$SECONDS; minikube addons enable ingress -p "$P" || fail "addons enable ingress (were the images built? ../build.sh writes MINIKUBE_ADDON_IMAGES)"
echo "($((SECONDS - t0)) s)"
K wait -n ingress-nginx --for=condition=Ready pod -l app.kubernetes.io/component=controller --timeout=120s \
  || fail "the ingress controller pod is not Ready: K logs -n ingress-nginx deploy/ingress-nginx-controller"
K get pods -n ingress-nginx -o wide

if ! docker image inspect "$IMG" >/dev/null 2>&1; then   # Debian's static busybox: httpd with CGI
  ctx=$(mktemp -d); cp "$(command -v busybox || echo /bin/busybox)" "$ctx/busybox"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\nENV PATH=/bin\n' >"$ctx/Dockerfile"
  docker build -q -t "$IMG" "$ctx" >/dev/null; rm -rf "$ctx"
fi
step "minikube image load $IMG"; minikube image load "$IMG" -p "$P"

step "two backends and an Ingress (class nginx, host $HOST): / -> front, /api -> api"
K delete namespace "$NS" --ignore-not-found --timeout=120s >/dev/null   # a previous run's, still terminating
K create namespace "$NS" >/dev/null
cat <<YAML | K apply -n "$NS" -f -
apiVersion: apps/v1
kind: Deployment
metadata: {name: front}
spec:
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec:
      containers:
      - name: web
        image: $IMG
        imagePullPolicy: IfNotPresent
        ports: [{name: http, containerPort: 8080}]
        command: [sh, -c]
        args:
        - |
          mkdir -p /www/cgi-bin
          echo "front: \$HOSTNAME" > /www/index.html
          printf '#!/bin/sh\nprintf "Status: 302 Found\\\\r\\\\nLocation: /welcome?from=login\\\\r\\\\nSet-Cookie: session=abc123; Path=/; HttpOnly\\\\r\\\\n\\\\r\\\\n"\n' > /www/cgi-bin/login
          printf '#!/bin/sh\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\nfront saw cookie %%s host %%s\\\\n" "\$HTTP_COOKIE" "\$HTTP_HOST"\n' > /www/cgi-bin/whoami
          chmod +x /www/cgi-bin/*
          exec httpd -f -p 8080 -h /www
---
apiVersion: v1
kind: Service
metadata: {name: front}
spec: {selector: {app: front}, ports: [{name: http, port: 80, targetPort: http}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: web
        image: $IMG
        imagePullPolicy: IfNotPresent
        ports: [{name: http, containerPort: 8080}]
        command: [sh, -c, 'mkdir -p /www/api && echo "api: \$HOSTNAME" > /www/api/health && exec httpd -f -p 8080 -h /www']
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {selector: {app: api}, ports: [{name: http, port: 8000, targetPort: http}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: todo}
spec:
  ingressClassName: nginx
  rules:
  - host: $HOST
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
      - {path: /, pathType: Prefix, backend: {service: {name: front, port: {name: http}}}}
YAML
K rollout status -n "$NS" deploy/front --timeout=120s; K rollout status -n "$NS" deploy/api --timeout=120s
IP=$(minikube ip -p "$P")

step "Ingress status carries the node address ($IP)"
addr=""
for _ in $(seq 30); do
  addr=$(K get ingress -n "$NS" todo -o jsonpath='{.status.loadBalancer.ingress[0].ip}'); [ -n "$addr" ] && break; sleep 1
done
K get ingress -n "$NS" todo
expect "status.loadBalancer.ingress[0].ip" "$IP" "$addr"

step "curl -H 'Host: $HOST' http://$IP/..."
body=""
for _ in $(seq 30); do   # Traefik applies a new Ingress within a second or two
  body=$(curl -sS -m 5 -H "Host: $HOST" "http://$IP/" 2>&1 || true); case $body in front:*) break ;; esac; sleep 1
done
expect "/ answered by the front backend" "front: front-" "$body"
expect "/api/health answered by the api backend" "api: api-" "$(curl -sS -m 5 -H "Host: $HOST" "http://$IP/api/health")"
hdrs=$(curl -sS -m 5 -o /dev/null -D - -H "Host: $HOST" "http://$IP/cgi-bin/login" | tr -d '\r')
expect "redirect status passes through" "HTTP/1.1 302" "$hdrs"
expect "redirect Location passes through unchanged" "Location: /welcome?from=login" "$hdrs"
expect "Set-Cookie passes through unchanged" "Set-Cookie: session=abc123; Path=/; HttpOnly" "$hdrs"
expect "the cookie and the Host reach the backend" "front saw cookie session=abc123 host $HOST" \
  "$(curl -sS -m 5 -H "Host: $HOST" -H 'Cookie: session=abc123' "http://$IP/cgi-bin/whoami")"
expect "HTTPS on :443 (Traefik's default certificate)" "api: api-" "$(curl -sSk -m 5 -H "Host: $HOST" "https://$IP/api/health")"
expect "an unknown host gets 404" "404" "$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -H 'Host: nobody.local' "http://$IP/")"

step "the Ingress gets a tls Secret for $HOST"
d=$(mktemp -d)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$HOST" -addext "subjectAltName=DNS:$HOST" \
  -keyout "$d/tls.key" -out "$d/tls.crt" 2>/dev/null || fail "openssl could not make a test certificate"
K create secret tls todo-tls -n "$NS" --cert="$d/tls.crt" --key="$d/tls.key" >/dev/null
K patch ingress todo -n "$NS" --type=merge -p "{\"spec\":{\"tls\":[{\"hosts\":[\"$HOST\"],\"secretName\":\"todo-tls\"}]}}" >/dev/null
body=""
for _ in $(seq 30); do
  body=$(curl -sS -m 5 --cacert "$d/tls.crt" --resolve "$HOST:443:$IP" "https://$HOST/api/health" 2>&1 || true)
  case $body in api:*) break ;; esac; sleep 1
done
expect "HTTPS with the Ingress's own certificate (verified against it)" "api: api-" "$body"
expect "HTTP now redirects to HTTPS, as ingress-nginx's ssl-redirect default does" "308 https://$HOST/api/health" \
  "$(curl -sS -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: $HOST" "http://$IP/api/health")"
rm -rf "$d"

K delete namespace "$NS" --wait=false >/dev/null
step "ingress check passed"
