{{/*
Names, labels, image references, and each app's settings and environment. The app pods are in
_pod.tpl, the init and migration containers in _containers.tpl, the helm test pod in tests/_test-pod.tpl.
*/}}

{{/*
Chart name, for the app.kubernetes.io/name label.
*/}}
{{- define "todo-chatbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Prefix of every object name. The release already names the app, so objects are <release>-<component>
(todo-frontend, not todo-todo-chatbot-frontend). 52 characters leave room for "-postgresql".
*/}}
{{- define "todo-chatbot.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "todo-chatbot.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels. Call with (dict "ctx" $ "component" "frontend").
*/}}
{{- define "todo-chatbot.labels" -}}
helm.sh/chart: {{ include "todo-chatbot.chart" .ctx }}
{{ include "todo-chatbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: {{ include "todo-chatbot.name" .ctx }}
{{- end }}

{{/*
Selector labels. Call with (dict "ctx" $ "component" "frontend").
*/}}
{{- define "todo-chatbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "todo-chatbot.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Object names of the components.
*/}}
{{- define "todo-chatbot.frontend.fullname" -}}
{{- printf "%s-frontend" (include "todo-chatbot.fullname" .) }}
{{- end }}
{{- define "todo-chatbot.backend.fullname" -}}
{{- printf "%s-backend" (include "todo-chatbot.fullname" .) }}
{{- end }}
{{- define "todo-chatbot.postgresql.fullname" -}}
{{- printf "%s-postgresql" (include "todo-chatbot.fullname" .) }}
{{- end }}
{{- define "todo-chatbot.migrate.fullname" -}}
{{- printf "%s-migrate" (include "todo-chatbot.fullname" .) }}
{{- end }}

{{/*
ServiceAccount used by every pod.
*/}}
{{- define "todo-chatbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "todo-chatbot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Name of the Secret holding BETTER_AUTH_SECRET, POSTGRES_PASSWORD, DATABASE_URL and OPENAI_API_KEY.
*/}}
{{- define "todo-chatbot.secretName" -}}
{{- if .Values.secrets.create }}
{{- printf "%s-secrets" (include "todo-chatbot.fullname" .) }}
{{- else }}
{{- required "existingSecret is required: set existingSecret to the name of a Secret you created (keys BETTER_AUTH_SECRET, and POSTGRES_PASSWORD or DATABASE_URL), or set secrets.create=true" .Values.existingSecret }}
{{- end }}
{{- end }}

{{/*
Image references. A tag is required: the chart has no default tag (and values.schema.json refuses latest),
so every install names the exact image it runs. `required` fails `helm install`/`template` without a tag,
naming the value. `helm lint` only logs it and renders on (the tag-less reference below exists only
there), so a bare `helm lint` of the chart passes.
*/}}
{{- define "todo-chatbot.frontend.image" -}}
{{- $tag := required "frontend.image.tag is required: set frontend.image.tag to the tag of the frontend image to run (--set frontend.image.tag=<tag>); the chart has no default tag and never uses latest" .Values.frontend.image.tag }}
{{- .Values.frontend.image.repository }}{{ if $tag }}:{{ $tag }}{{ end }}
{{- end }}
{{- define "todo-chatbot.backend.image" -}}
{{- $tag := required "backend.image.tag is required: set backend.image.tag to the tag of the backend image to run (--set backend.image.tag=<tag>); the chart has no default tag and never uses latest" .Values.backend.image.tag }}
{{- .Values.backend.image.repository }}{{ if $tag }}:{{ $tag }}{{ end }}
{{- end }}
{{- define "todo-chatbot.postgresql.image" -}}
{{- $img := .Values.postgresql.image }}
{{- printf "%s:%s" $img.repository (toString $img.tag) }}
{{- with $img.digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
In-cluster URLs. The database host is the StatefulSet's headless Service.
*/}}
{{- define "todo-chatbot.backendUrl" -}}
{{- printf "http://%s:%d" (include "todo-chatbot.backend.fullname" .) (int .Values.backend.service.port) }}
{{- end }}
{{- define "todo-chatbot.frontendUrl" -}}
{{- printf "http://%s:%d" (include "todo-chatbot.frontend.fullname" .) (int .Values.frontend.service.port) }}
{{- end }}
{{- define "todo-chatbot.postgresql.host" -}}
{{- include "todo-chatbot.postgresql.fullname" . }}
{{- end }}

{{/*
The paths the edge routes, as a YAML list of {path, component}: ingress.backendPaths to the backend and, under
them, ingress.frontendPaths kept on the frontend, longest prefix first (a proxy that matches in order must meet
/api/auth before /api), then the frontend's catch-all /. The Ingress and the HTTPRoute both route by it, so the
two cannot disagree about which component serves a path.
*/}}
{{- define "todo-chatbot.routes" -}}
{{- $keyed := list }}
{{- range .Values.ingress.backendPaths }}
{{- $keyed = append $keyed (printf "%04d %s backend" (sub 9999 (len .)) .) }}
{{- end }}
{{- if .Values.ingress.backendPaths }}
{{- range .Values.ingress.frontendPaths }}
{{- $keyed = append $keyed (printf "%04d %s frontend" (sub 9999 (len .)) .) }}
{{- end }}
{{- end }}
{{- range sortAlpha $keyed }}
{{- $p := splitList " " . }}
- path: {{ index $p 1 | quote }}
  component: {{ index $p 2 }}
{{- end }}
- path: "/"
  component: frontend
{{- end }}

{{/*
Whether an edge proxy (the ingress controller or the Gateway's data plane) sends backendPaths straight to the
backend, so the backend's NetworkPolicy must admit it. "true" or empty.
*/}}
{{- define "todo-chatbot.backendRouted" -}}
{{- if and (or .Values.ingress.enabled .Values.httpRoute.enabled) .Values.ingress.backendPaths }}true{{ end }}
{{- end }}

{{/*
Origins allowed by Better Auth and the backend's CORS: the public URL plus extraOrigins.
*/}}
{{- define "todo-chatbot.origins" -}}
{{- prepend .Values.extraOrigins (trimSuffix "/" .Values.publicUrl) | uniq | join "," }}
{{- end }}

{{/*
Non-secret settings of each app, as a flat map. The ConfigMaps render them for the Deployments; the
migration Job and the tests inline them, because a pre-upgrade hook runs before the new ConfigMap
is applied.
*/}}
{{- define "todo-chatbot.frontend.config" -}}
PORT: {{ .Values.frontend.containerPort | quote }}
HOSTNAME: "0.0.0.0"
BETTER_AUTH_URL: {{ trimSuffix "/" .Values.publicUrl | quote }}
BETTER_AUTH_TRUSTED_ORIGINS: {{ include "todo-chatbot.origins" . | quote }}
BACKEND_URL: {{ include "todo-chatbot.backendUrl" . | quote }}
{{- end }}
{{- define "todo-chatbot.backend.config" -}}
PORT: {{ .Values.backend.containerPort | quote }}
JWKS_URL: {{ printf "%s/api/auth/jwks" (include "todo-chatbot.frontendUrl" .) | quote }}
FRONTEND_SERVICE_URL: {{ include "todo-chatbot.frontendUrl" . | quote }}
JWT_ISSUER: {{ trimSuffix "/" .Values.publicUrl | quote }}
JWT_AUDIENCE: {{ trimSuffix "/" .Values.publicUrl | quote }}
CORS_ORIGINS: {{ include "todo-chatbot.origins" . | quote }}
LOG_LEVEL: {{ .Values.backend.logLevel | quote }}
{{- with .Values.backend.openai.baseUrl }}
OPENAI_BASE_URL: {{ . | quote }}
{{- end }}
{{- with .Values.backend.openai.model }}
OPENAI_MODEL: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
DATABASE_URL (and what it is made of) as EnvVar entries. In-cluster: composed by the kubelet from
POSTGRES_USER and the Secret's POSTGRES_PASSWORD through $(VAR) expansion, so the password is never
in a ConfigMap, a value or the rendered manifest; its scheme is the caller's (backend.databaseUrlScheme
for the backend, plain postgresql for the frontend and the tests). External: the Secret's DATABASE_URL
as it is. Call with (dict "ctx" $ "scheme" "postgresql").
*/}}
{{- define "todo-chatbot.databaseEnv" -}}
{{- $scheme := .scheme }}
{{- with .ctx }}
{{- if .Values.postgresql.enabled }}
- name: POSTGRES_USER
  value: {{ .Values.postgresql.auth.username | quote }}
- name: POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "todo-chatbot.secretName" . }}
      key: POSTGRES_PASSWORD
- name: DATABASE_URL
  value: {{ printf "%s://$(POSTGRES_USER):$(POSTGRES_PASSWORD)@%s:%d/%s%s" $scheme (include "todo-chatbot.postgresql.host" .) (int .Values.postgresql.port) .Values.postgresql.auth.database (ternary (printf "?%s" .Values.postgresql.urlQuery) "" (ne .Values.postgresql.urlQuery "")) | quote }}
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "todo-chatbot.secretName" . }}
      key: DATABASE_URL
{{- end }}
{{- end }}
{{- end }}

{{/*
Secret-backed environment of each app: the database entries, the app's known keys, then its
<component>.secretEnv entries (each a required key of the same Secret; key defaults to name).
*/}}
{{- define "todo-chatbot.frontend.secretEnv" -}}
{{ include "todo-chatbot.databaseEnv" (dict "ctx" . "scheme" "postgresql") }}
- name: BETTER_AUTH_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "todo-chatbot.secretName" . }}
      key: BETTER_AUTH_SECRET
{{- include "todo-chatbot.extraSecretEnv" (dict "ctx" . "entries" .Values.frontend.secretEnv) }}
{{- end }}
{{- define "todo-chatbot.backend.secretEnv" -}}
{{ include "todo-chatbot.databaseEnv" (dict "ctx" . "scheme" .Values.backend.databaseUrlScheme) }}
- name: OPENAI_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "todo-chatbot.secretName" . }}
      key: OPENAI_API_KEY
      optional: true
{{- include "todo-chatbot.extraSecretEnv" (dict "ctx" . "entries" .Values.backend.secretEnv) }}
{{- end }}
{{- define "todo-chatbot.extraSecretEnv" -}}
{{- $secret := include "todo-chatbot.secretName" .ctx }}
{{- range .entries }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ default .name .key }}
      optional: false
{{- end }}
{{- end }}

{{/*
A settings map rendered as EnvVar entries (for the hook Job and the tests).
*/}}
{{- define "todo-chatbot.inlineEnv" -}}
{{- range $k, $v := fromYaml . }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end }}

{{/*
postgresql.neonProxy: a sidecar speaking Neon's HTTP and WebSocket protocols (frontend-docker/neon-proxy) for a
frontend on @neondatabase/serverless. The driver turns DATABASE_URL's host into https://<host>/sql and
wss://<host>/v2 on port 443, so the certificate names the database host exactly as DATABASE_URL writes it. Only
with the in-cluster database: an external one is reached as the app always did.
*/}}
{{- define "todo-chatbot.neonProxy.enabled" -}}
{{- if and .Values.postgresql.enabled .Values.postgresql.neonProxy.enabled }}true{{ end }}
{{- end }}
{{- /* postgresql.tls: the server offers TLS with the same certificate */}}
{{- define "todo-chatbot.postgresql.tls.enabled" -}}
{{- if and .Values.postgresql.enabled .Values.postgresql.tls.enabled }}true{{ end }}
{{- end }}
{{- /* the database's certificate (and the CA the frontend trusts) is made for neon-proxy, PostgreSQL's TLS or both */}}
{{- define "todo-chatbot.postgresql.certificate.enabled" -}}
{{- if or (include "todo-chatbot.neonProxy.enabled" .) (include "todo-chatbot.postgresql.tls.enabled" .) }}true{{ end }}
{{- end }}
{{- define "todo-chatbot.neonProxy.tlsSecret" -}}
{{- printf "%s-neon-proxy-tls" (include "todo-chatbot.postgresql.fullname" .) }}
{{- end }}
{{- define "todo-chatbot.neonProxy.image" -}}
{{- $img := .Values.postgresql.neonProxy.image }}
{{- $tag := required "postgresql.neonProxy.image.tag is required with postgresql.neonProxy.enabled: set it to the tag of the neon-proxy image built from frontend-docker/neon-proxy (--set postgresql.neonProxy.image.tag=<tag>)" $img.tag }}
{{- $img.repository }}{{ if $tag }}:{{ $tag }}{{ end }}
{{- end }}
{{- /* the database host's names: the short one DATABASE_URL uses, then the longer forms of the same Service */}}
{{- define "todo-chatbot.neonProxy.hosts" -}}
{{- $host := include "todo-chatbot.postgresql.host" . }}
{{- $ns := .Release.Namespace }}
{{- list $host (printf "%s.%s" $host $ns) (printf "%s.%s.svc" $host $ns) (printf "%s.%s.svc.cluster.local" $host $ns) | toJson }}
{{- end }}

{{/*
The proxy's certificate and the CA that signed it, as a JSON object {ca.crt, tls.crt, tls.key} (base64). Made once:
an upgrade finds the Secret in the cluster (lookup) and keeps it while it names the same hosts, so the pods do not
restart for a new certificate each time. The CA's key is not kept: a new certificate comes with a new CA, and the
checksums roll the pods that trust it. Memoized in .Values for this render, since the Secret and two pod annotations
all need the same random keys.
*/}}
{{- define "todo-chatbot.neonProxy.tls" -}}
{{- $np := .Values.postgresql.neonProxy }}
{{- if not (hasKey $np "_tls") }}
{{- $hosts := include "todo-chatbot.neonProxy.hosts" . }}
{{- $old := lookup "v1" "Secret" .Release.Namespace (include "todo-chatbot.neonProxy.tlsSecret" .) }}
{{- $oldHosts := dig "metadata" "annotations" "todo-chatbot/neon-proxy-hosts" "" ($old | default dict) }}
{{- if and $old (eq $oldHosts $hosts) (hasKey ($old.data | default dict) "tls.key") }}
{{- $_ := set $np "_tls" (dict "ca.crt" (index $old.data "ca.crt") "tls.crt" (index $old.data "tls.crt") "tls.key" (index $old.data "tls.key")) }}
{{- else }}
{{- $ca := genCA (printf "%s neon-proxy CA" (include "todo-chatbot.fullname" .)) (int $np.certDays) }}
{{- $cert := genSignedCert (include "todo-chatbot.postgresql.host" .) nil ($hosts | fromJsonArray) (int $np.certDays) $ca }}
{{- $_ := set $np "_tls" (dict "ca.crt" ($ca.Cert | b64enc) "tls.crt" ($cert.Cert | b64enc) "tls.key" ($cert.Key | b64enc)) }}
{{- end }}
{{- end }}
{{- $np._tls | toJson }}
{{- end }}

{{/* NODE_EXTRA_CA_CERTS and its mount, for the frontend and its migration step (its auth config may use the driver, or
a pg Pool that verifies the server's certificate) */}}
{{- define "todo-chatbot.neonProxy.caEnv" -}}
- name: NODE_EXTRA_CA_CERTS
  value: /etc/neon-proxy-ca/ca.crt
{{- end }}
{{- define "todo-chatbot.neonProxy.caMount" -}}
- name: neon-proxy-ca
  mountPath: /etc/neon-proxy-ca
  readOnly: true
{{- end }}
{{- define "todo-chatbot.neonProxy.caVolume" -}}
- name: neon-proxy-ca
  secret:
    secretName: {{ include "todo-chatbot.neonProxy.tlsSecret" . }}
    items:
      - key: ca.crt
        path: ca.crt
{{- end }}

{{/*
The replicas of an app's Deployment: none set while its HPA owns them. On the first install the backend has none when
migrations.beforeBackendStarts asks for the migration Job (post-install) to run before any backend pod; the kit's
deploy then upgrades to start it. Call with (dict "ctx" $ "component" "frontend").
*/}}
{{- define "todo-chatbot.replicas" -}}
{{- $ctx := .ctx }}
{{- $c := index $ctx.Values .component }}
{{- $m := $ctx.Values.migrations }}
{{- if not $c.autoscaling.enabled }}
{{- if and (eq .component "backend") $ctx.Release.IsInstall $m.enabled $m.beforeBackendStarts }}
replicas: 0
{{- else }}
replicas: {{ $c.replicaCount }}
{{- end }}
{{- end }}
{{- end }}
