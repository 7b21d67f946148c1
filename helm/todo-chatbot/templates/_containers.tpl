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
- name: {{ printf "migrate-%s" $name }}
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
