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
{{- required "existingSecret is required: create the Secret first (the kit's deploy stage does: npm run deploy) or install with --set secrets.create=true" .Values.existingSecret }}
{{- end }}
{{- end }}

{{/*
Image references. A tag is required: the kit tags images by content hash and never uses latest.
`required` fails `helm install`/`template` without a tag, naming the value. `helm lint` only logs it and
renders on (the tag-less reference below exists only there), so a bare `helm lint` of the chart passes.
*/}}
{{- define "todo-chatbot.frontend.image" -}}
{{- $tag := required "frontend.image.tag is required: the kit's deploy stage sets it to the content-hash tag of the image it built (npm run deploy); by hand, pass --set frontend.image.tag=h-<hash> (the tag `npm run build` prints)" .Values.frontend.image.tag }}
{{- .Values.frontend.image.repository }}{{ if $tag }}:{{ $tag }}{{ end }}
{{- end }}
{{- define "todo-chatbot.backend.image" -}}
{{- $tag := required "backend.image.tag is required: the kit's deploy stage sets it to the content-hash tag of the image it built (npm run deploy); by hand, pass --set backend.image.tag=h-<hash> (the tag `npm run build` prints)" .Values.backend.image.tag }}
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
  value: {{ printf "%s://$(POSTGRES_USER):$(POSTGRES_PASSWORD)@%s:%d/%s" $scheme (include "todo-chatbot.postgresql.host" .) (int .Values.postgresql.port) .Values.postgresql.auth.database | quote }}
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
emptyDir volumes and mounts for the writable directories of a component, each bounded by the
component's writableSizeLimit. Call the volumes with the component's values.
*/}}
{{- define "todo-chatbot.writableVolumes" -}}
{{- $limit := .writableSizeLimit }}
{{- range $i, $dir := .writableDirs }}
- name: {{ printf "writable-%d" $i }}
  emptyDir:
    sizeLimit: {{ $limit }}
{{- end }}
{{- end }}
{{- define "todo-chatbot.writableMounts" -}}
{{- range $i, $dir := . }}
- name: {{ printf "writable-%d" $i }}
  mountPath: {{ $dir }}
{{- end }}
{{- end }}

{{/*
Writable single files (<component>.writableFiles): one emptyDir holds them all, each mounted over its
path with subPath. kubelet creates a missing subPath as a directory, so an init container of the app's
own image first creates the empty files; the app then opens them for writing like any file.
*/}}
{{- define "todo-chatbot.writableFileMounts" -}}
{{- range $i, $file := . }}
- name: writable-files
  mountPath: {{ $file }}
  subPath: {{ printf "file-%d" $i }}
{{- end }}
{{- end }}
{{- define "todo-chatbot.writableFilesInit" -}}
{{- $ctx := .ctx }}
{{- $v := index $ctx.Values .component }}
{{- $files := list }}
{{- range $i, $_ := $v.writableFiles }}
{{- $files = append $files (printf "/writable-files/file-%d" $i) }}
{{- end }}
- name: writable-files
  image: {{ include (printf "todo-chatbot.%s.image" .component) $ctx }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  command:
    {{- toYaml (prepend $files "touch") | nindent 4 }}
  securityContext:
    {{- toYaml $ctx.Values.containerSecurityContext | nindent 4 }}
  resources:
    {{- toYaml $v.resources | nindent 4 }}
  volumeMounts:
    - name: writable-files
      mountPath: /writable-files
{{- end }}



{{/*
An httpGet probe from a probes.<kind> value. Call with (dict "probe" ... "port" "http").
*/}}
{{- define "todo-chatbot.httpProbe" -}}
httpGet:
  path: {{ .probe.path }}
  port: {{ .port }}
periodSeconds: {{ .probe.periodSeconds }}
timeoutSeconds: {{ .probe.timeoutSeconds }}
failureThreshold: {{ .probe.failureThreshold }}
{{- end }}

{{/*
Waits for the in-cluster PostgreSQL with pg_isready, from the postgres image (no extra image).
*/}}
{{- define "todo-chatbot.waitForDatabase" -}}
- name: wait-for-database
  image: {{ include "todo-chatbot.postgresql.image" . }}
  imagePullPolicy: {{ .Values.postgresql.image.pullPolicy }}
  command:
    - sh
    - -c
    - |
      until pg_isready --quiet --timeout=2 --host="$PGHOST" --port="$PGPORT" --username="$PGUSER" --dbname="$PGDATABASE"; do
        echo "waiting for $PGHOST:$PGPORT"; sleep 2
      done
  env:
    - name: PGHOST
      value: {{ include "todo-chatbot.postgresql.host" . | quote }}
    - name: PGPORT
      value: {{ .Values.postgresql.port | quote }}
    - name: PGUSER
      value: {{ .Values.postgresql.auth.username | quote }}
    - name: PGDATABASE
      value: {{ .Values.postgresql.auth.database | quote }}
  securityContext:
    {{- toYaml .Values.containerSecurityContext | nindent 4 }}
  resources:
    {{- toYaml .Values.migrations.resources | nindent 4 }}
{{- end }}

{{/*
Pod annotations that roll the pods when their settings or secrets change. An existing Secret is not
rendered by the chart, so its data is looked up in the cluster (empty under `helm template`).
Call with (dict "ctx" $ "component" "frontend").
*/}}
{{- define "todo-chatbot.checksums" -}}
{{- $ctx := .ctx }}
checksum/config: {{ include (printf "todo-chatbot.%s.config" .component) $ctx | sha256sum }}
{{- if $ctx.Values.secrets.create }}
checksum/secret: {{ include (print $ctx.Template.BasePath "/secret.yaml") $ctx | sha256sum }}
{{- else }}
checksum/secret: {{ (lookup "v1" "Secret" $ctx.Release.Namespace $ctx.Values.existingSecret).data | toJson | sha256sum }}
{{- end }}
{{- end }}

{{/*
One migration step of the hook Job: the app's own image, its own settings inlined (the hook may run
before the release's ConfigMaps exist or are updated), its migrate command.
Call with (dict "ctx" $ "step" (dict "name" "backend" "values" .Values.backend)).
*/}}
{{- define "todo-chatbot.migrateContainer" -}}
{{- $ctx := .ctx }}
{{- $name := .step.name }}
{{- $v := .step.values }}
- name: {{ printf "migrate-%s" $name }}
  image: {{ include (printf "todo-chatbot.%s.image" $name) $ctx }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  command:
    {{- toYaml $v.migrateCommand | nindent 4 }}
  {{- with $v.extraEnvFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  env:
    {{- include "todo-chatbot.inlineEnv" (include (printf "todo-chatbot.%s.config" $name) $ctx) | trim | nindent 4 }}
    {{- include (printf "todo-chatbot.%s.secretEnv" $name) $ctx | trim | nindent 4 }}
    {{- with $v.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  securityContext:
    {{- toYaml $ctx.Values.containerSecurityContext | nindent 4 }}
  resources:
    {{- toYaml $ctx.Values.migrations.resources | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
    {{- with $v.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/*
A helm test pod running a one-liner in one of the app images. Call with
(dict "ctx" $ "test" "backend-health" "image" "backend" "command" (list ...) "env" "<EnvVar yaml>").
*/}}
{{- define "todo-chatbot.testPod" -}}
{{- $ctx := .ctx }}
{{- $v := index $ctx.Values .image }}
apiVersion: v1
kind: Pod
metadata:
  name: {{ printf "%s-test-%s" (include "todo-chatbot.fullname" $ctx) .test }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "todo-chatbot.labels" (dict "ctx" $ctx "component" "test") | nindent 4 }}
  annotations:
    helm.sh/hook: test
    # Kept until the next run so `helm test --logs` and `kubectl logs` can show what failed.
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  restartPolicy: Never
  serviceAccountName: {{ include "todo-chatbot.serviceAccountName" $ctx }}
  automountServiceAccountToken: false
  enableServiceLinks: false
  {{- with $ctx.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml $ctx.Values.podSecurityContext | nindent 4 }}
  containers:
    - name: {{ .test }}
      image: {{ include (printf "todo-chatbot.%s.image" .image) $ctx }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      command:
        {{- toYaml .command | nindent 8 }}
      {{- with .env }}
      env:
        {{- . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $ctx.Values.containerSecurityContext | nindent 8 }}
      resources:
        {{- toYaml $ctx.Values.tests.resources | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: {{ $ctx.Values.tests.tmpSizeLimit }}
{{- end }}

{{/*
The Deployment of an app component (frontend or backend); both share every knob of
<component>.*. Call with (dict "ctx" $ "component" "frontend").
*/}}
{{- define "todo-chatbot.deployment" -}}
{{- $ctx := .ctx }}
{{- $name := .component }}
{{- $c := index $ctx.Values $name }}
{{- $selector := include "todo-chatbot.selectorLabels" (dict "ctx" $ctx "component" $name) }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include (printf "todo-chatbot.%s.fullname" $name) $ctx }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "todo-chatbot.labels" (dict "ctx" $ctx "component" $name) | nindent 4 }}
spec:
  {{- if not $c.autoscaling.enabled }}
  replicas: {{ $c.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  # Never fewer ready pods than wanted during a rollout: a new pod must be ready before an old one goes.
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- $selector | nindent 6 }}
  template:
    metadata:
      annotations:
        {{- include "todo-chatbot.checksums" (dict "ctx" $ctx "component" $name) | nindent 8 }}
        {{- with $c.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      labels:
        {{- include "todo-chatbot.labels" (dict "ctx" $ctx "component" $name) | nindent 8 }}
        {{- with $c.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "todo-chatbot.serviceAccountName" $ctx }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- with $ctx.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml $ctx.Values.podSecurityContext | nindent 8 }}
      {{- $waitForDatabase := and $ctx.Values.postgresql.enabled $c.waitForDatabase }}
      {{- if or $c.writableFiles $waitForDatabase }}
      initContainers:
        {{- if $waitForDatabase }}
        {{- include "todo-chatbot.waitForDatabase" $ctx | nindent 8 }}
        {{- end }}
        {{- if $c.writableFiles }}
        {{- include "todo-chatbot.writableFilesInit" (dict "ctx" $ctx "component" $name) | trim | nindent 8 }}
        {{- end }}
      {{- end }}
      containers:
        - name: {{ $name }}
          image: {{ include (printf "todo-chatbot.%s.image" $name) $ctx }}
          imagePullPolicy: {{ $c.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $c.containerPort }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include (printf "todo-chatbot.%s.fullname" $name) $ctx }}
            {{- with $c.extraEnvFrom }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          env:
            {{- include (printf "todo-chatbot.%s.secretEnv" $name) $ctx | trim | nindent 12 }}
            {{- with $c.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          startupProbe:
            {{- include "todo-chatbot.httpProbe" (dict "probe" $c.probes.startup "port" "http") | nindent 12 }}
          livenessProbe:
            {{- include "todo-chatbot.httpProbe" (dict "probe" $c.probes.liveness "port" "http") | nindent 12 }}
          readinessProbe:
            {{- include "todo-chatbot.httpProbe" (dict "probe" $c.probes.readiness "port" "http") | nindent 12 }}
          {{- with $c.preStopSleepSeconds }}
          # Keeps serving while the endpoint removal reaches every proxy, so a rollout drops no request.
          lifecycle:
            preStop:
              sleep:
                seconds: {{ . }}
          {{- end }}
          securityContext:
            {{- toYaml $ctx.Values.containerSecurityContext | nindent 12 }}
          resources:
            {{- toYaml $c.resources | nindent 12 }}
          volumeMounts:
            {{- include "todo-chatbot.writableMounts" $c.writableDirs | trim | nindent 12 }}
            {{- with $c.writableFiles }}
            {{- include "todo-chatbot.writableFileMounts" . | trim | nindent 12 }}
            {{- end }}
            {{- with $c.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "todo-chatbot.writableVolumes" $c | trim | nindent 8 }}
        {{- if $c.writableFiles }}
        - name: writable-files
          emptyDir:
            sizeLimit: {{ $c.writableSizeLimit }}
        {{- end }}
        {{- with $c.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $c.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.topologySpreadConstraints }}
      # A constraint without a labelSelector counts this component's pods.
      topologySpreadConstraints:
        {{- range . }}
        {{- $tsc := deepCopy . }}
        {{- if not $tsc.labelSelector }}
        {{- $_ := set $tsc "labelSelector" (dict "matchLabels" ($selector | fromYaml)) }}
        {{- end }}
        {{- list $tsc | toYaml | nindent 8 }}
        {{- end }}
      {{- end }}
{{- end }}
