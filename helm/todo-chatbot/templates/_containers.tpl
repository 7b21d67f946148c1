{{/*
Containers besides the apps' own: the init containers of the app pods and the migration Job, and
the Job's migration steps.
*/}}

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
Creates the empty <component>.writableFiles in their emptyDir before the app starts (see
todo-chatbot.writableFileMounts in _pod.tpl), with the app's own image.
Call with (dict "ctx" $ "component" "backend").
*/}}
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
One migration step of the hook Job: the app's own image, its own settings inlined (the hook may run
before the release's ConfigMaps exist or are updated), its migrate command.
Call with (dict "ctx" $ "step" (dict "name" "backend" "values" .Values.backend)).
*/}}
{{- define "todo-chatbot.migrateContainer" -}}
{{- $ctx := .ctx }}
{{- $name := .step.name }}
{{- $v := .step.values }}
- name: {{ .step.container | default (printf "migrate-%s" $name) }}
  {{- /* a step's own image (frontend.migrateImage) when set, else the app's */}}
  {{- if and $v.migrateImage $v.migrateImage.repository }}
  image: {{ $v.migrateImage.repository }}:{{ required (printf "%s.migrateImage.tag is required with %s.migrateImage.repository: set it to the tag of that image (the kit's deploy passes the content-hash tag)" $name $name) $v.migrateImage.tag }}
  {{- else }}
  image: {{ include (printf "todo-chatbot.%s.image" $name) $ctx }}
  {{- end }}
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
    {{- if and (eq $name "frontend") (include "todo-chatbot.postgresql.certificate.enabled" $ctx) }}
    {{- include "todo-chatbot.neonProxy.caEnv" $ctx | nindent 4 }}
    {{- end }}
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
    {{- if and (eq $name "frontend") (include "todo-chatbot.postgresql.certificate.enabled" $ctx) }}
    {{- include "todo-chatbot.neonProxy.caMount" $ctx | nindent 4 }}
    {{- end }}
    {{- with $v.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/*
The neon-proxy sidecar of the PostgreSQL pod (postgresql.neonProxy). It listens on 443 because the driver always
dials https://<host>/sql and wss://<host>/v2 without a port, and the headless Service maps no ports: the pod's own
port is the one clients reach (the pod allows unprivileged ports from 0, a namespaced, PSS-baseline sysctl).
*/}}
{{- define "todo-chatbot.neonProxyContainer" -}}
{{- $np := .Values.postgresql.neonProxy }}
- name: neon-proxy
  image: {{ include "todo-chatbot.neonProxy.image" . }}
  imagePullPolicy: {{ $np.image.pullPolicy }}
  ports:
    - name: neon-proxy
      containerPort: 443
      protocol: TCP
  env:
    - name: PORT
      value: "443"
    - name: PGPORT
      value: {{ .Values.postgresql.port | quote }}
  startupProbe:
    httpGet:
      path: /healthz
      port: neon-proxy
      scheme: HTTPS
    periodSeconds: 1
    failureThreshold: 30
  readinessProbe:
    httpGet:
      path: /healthz
      port: neon-proxy
      scheme: HTTPS
    periodSeconds: 5
    timeoutSeconds: 3
  livenessProbe:
    httpGet:
      path: /healthz
      port: neon-proxy
      scheme: HTTPS
    periodSeconds: 20
    timeoutSeconds: 5
    failureThreshold: 6
  securityContext:
    {{- /* the pod runs as PostgreSQL's uid 999; the proxy keeps the uid its image was built for */}}
    {{- toYaml (merge (dict "runAsUser" 10001 "runAsGroup" 10001) .Values.containerSecurityContext) | nindent 4 }}
  resources:
    {{- toYaml $np.resources | nindent 4 }}
  volumeMounts:
    - name: neon-proxy-tls
      mountPath: /tls
      readOnly: true
{{- end }}
