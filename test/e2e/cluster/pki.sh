#!/usr/bin/env bash
# A CA, component certificates and kubeconfigs for the harness cluster (openssl only). Fresh for every cluster.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
mkdir -p "$PKI_DIR" "$ETC_DIR"; cd "$PKI_DIR"
openssl genrsa -out ca.key 2048 2>/dev/null
openssl req -x509 -new -nodes -key ca.key -subj "/CN=todo-e2e-ca" -days 30 -out ca.crt 2>/dev/null
openssl genrsa -out sa.key 2048 2>/dev/null; openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
cert() { # name CN O [subjectAltName]
  local subj="/CN=$2"; [ -n "$3" ] && subj="/O=$3/CN=$2"
  openssl genrsa -out "$1.key" 2048 2>/dev/null
  openssl req -new -key "$1.key" -subj "$subj" -out "$1.csr" 2>/dev/null
  if [ -n "${4:-}" ]; then printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$4" > "$1.ext"
  else printf 'extendedKeyUsage=clientAuth\n' > "$1.ext"; fi
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
cert apiserver kube-apiserver "" "IP:$NODE_IP,IP:127.0.0.1,IP:$KUBERNETES_SVC_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost"
cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
cert admin todo-e2e-admin system:masters
cert controller-manager system:kube-controller-manager ""
cert scheduler system:kube-scheduler ""
cert kube-proxy system:kube-proxy system:node-proxier
cert kubelet "system:node:$NODE_NAME" system:nodes "IP:$NODE_IP,DNS:$NODE_NAME"

kubeconfig() { # user out
  cat > "$2" <<EOK
apiVersion: v1
kind: Config
clusters:
- name: todo-e2e
  cluster:
    certificate-authority-data: $(base64 -w0 ca.crt)
    server: https://$NODE_IP:6443
users:
- name: $1
  user:
    client-certificate-data: $(base64 -w0 "$1.crt")
    client-key-data: $(base64 -w0 "$1.key")
contexts:
- name: todo-e2e
  context: {cluster: todo-e2e, user: $1}
current-context: todo-e2e
EOK
  chmod 600 "$2"
}
for c in controller-manager scheduler kube-proxy kubelet; do kubeconfig "$c" "$ETC_DIR/$c.kubeconfig"; done
kubeconfig admin "$KUBECONFIG_PATH"
