{{/*
The pod spec of an app component (frontend or backend), for the template of its Deployment
(frontend-deployment.yaml, backend-deployment.yaml). Both apps share every knob of <component>.*.
Call with (dict "ctx" $ "component" "frontend").
*/}}
{{- define "todo-chatbot.pod" -}}
{{- $ctx := .ctx }}
{{- $name := .component }}
{{- $c := index $ctx.Values $name }}
{{- $selector := include "todo-chatbot.selectorLabels" (dict "ctx" $ctx "component" $name) -}}
{{- $neonCa := and (eq $name "frontend") (include "todo-chatbot.postgresql.certificate.enabled" $ctx) }}
serviceAccountName: {{ include "todo-chatbot.serviceAccountName" $ctx }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with $ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $c.hostAliases }}
hostAliases:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $ctx.Values.podSecurityContext | nindent 2 }}
{{- $waitForDatabase := and $ctx.Values.postgresql.enabled $c.waitForDatabase }}
{{- if or $c.writableFiles $waitForDatabase }}
initContainers:
  {{- if $waitForDatabase }}
  {{- include "todo-chatbot.waitForDatabase" $ctx | nindent 2 }}
  {{- end }}
  {{- if $c.writableFiles }}
  {{- include "todo-chatbot.writableFilesInit" (dict "ctx" $ctx "component" $name) | trim | nindent 2 }}
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
    {{- include "todo-chatbot.appEnv" . | trim | nindent 4 }}
    startupProbe:
      {{- include "todo-chatbot.httpProbe" (dict "probe" $c.probes.startup "port" "http") | nindent 6 }}
    livenessProbe:
      {{- include "todo-chatbot.httpProbe" (dict "probe" $c.probes.liveness "port" "http") | nindent 6 }}
    readinessProbe:
      {{- include "todo-chatbot.httpProbe" (dict "probe" $c.probes.readiness "port" "http") | nindent 6 }}
    {{- with $c.preStopSleepSeconds }}
    # Keeps serving while the endpoint removal reaches every proxy, so a rollout drops no request.
    lifecycle:
      preStop:
        sleep:
          seconds: {{ . }}
    {{- end }}
    securityContext:
      {{- toYaml $ctx.Values.containerSecurityContext | nindent 6 }}
    resources:
      {{- toYaml $c.resources | nindent 6 }}
    {{- include "todo-chatbot.appMounts" . | trim | nindent 4 }}
  {{- range $c.companions }}
  # A process the {{ $name }}'s code expects beside it on localhost (its own server), with the {{ $name }}'s settings.
  - name: {{ .name }}
    image: {{ include (printf "todo-chatbot.%s.image" $name) $ctx }}
    imagePullPolicy: {{ $c.image.pullPolicy }}
    command:
      {{- toYaml .command | nindent 6 }}
    {{- include "todo-chatbot.appEnv" $ | trim | nindent 4 }}
      {{- with .port }}
      - name: PORT
        value: {{ . | quote }}
    ports:
      - name: {{ $.component | trunc 1 }}-{{ . }}
        containerPort: {{ . }}
        protocol: TCP
    startupProbe:
      tcpSocket:
        port: {{ . }}
      periodSeconds: 2
      failureThreshold: 60
    readinessProbe:
      tcpSocket:
        port: {{ . }}
      periodSeconds: 10
    livenessProbe:
      tcpSocket:
        port: {{ . }}
      periodSeconds: 20
      failureThreshold: 3
      {{- end }}
    {{- with $c.preStopSleepSeconds }}
    # The app's own drain: it may call its companion until its endpoint is gone.
    lifecycle:
      preStop:
        sleep:
          seconds: {{ . }}
    {{- end }}
    securityContext:
      {{- toYaml $ctx.Values.containerSecurityContext | nindent 6 }}
    resources:
      {{- toYaml $c.resources | nindent 6 }}
    {{- include "todo-chatbot.appMounts" $ | trim | nindent 4 }}
  {{- end }}
volumes:
  {{- include "todo-chatbot.writableVolumes" $c | trim | nindent 2 }}
  {{- if $neonCa }}
  {{- include "todo-chatbot.neonProxy.caVolume" $ctx | nindent 2 }}
  {{- end }}
  {{- if $c.writableFiles }}
  - name: writable-files
    emptyDir:
      sizeLimit: {{ $c.writableSizeLimit }}
  {{- end }}
  {{- with $c.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with $c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.topologySpreadConstraints }}
# A constraint without a labelSelector counts this component's pods.
topologySpreadConstraints:
  {{- range . }}
  {{- $tsc := deepCopy . }}
  {{- if not $tsc.labelSelector }}
  {{- $_ := set $tsc "labelSelector" (dict "matchLabels" ($selector | fromYaml)) }}
  {{- end }}
  {{- list $tsc | toYaml | nindent 2 }}
  {{- end }}
{{- end }}
{{- end }}

{{/*
The environment of an app's container and of its companions: its ConfigMap, Secret keys and extra env.
Call with (dict "ctx" $ "component" "frontend").
*/}}
{{- define "todo-chatbot.appEnv" -}}
{{- $ctx := .ctx }}
{{- $name := .component }}
{{- $c := index $ctx.Values $name }}
envFrom:
  - configMapRef:
      name: {{ include (printf "todo-chatbot.%s.fullname" $name) $ctx }}
  {{- with $c.extraEnvFrom }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
env:
  {{- include (printf "todo-chatbot.%s.secretEnv" $name) $ctx | trim | nindent 2 }}
  {{- if and (eq $name "frontend") (include "todo-chatbot.postgresql.certificate.enabled" $ctx) }}
  {{- include "todo-chatbot.neonProxy.caEnv" $ctx | nindent 2 }}
  {{- end }}
  {{- with $c.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/*
The volume mounts of an app's container and of its companions. Call with (dict "ctx" $ "component" "frontend").
*/}}
{{- define "todo-chatbot.appMounts" -}}
{{- $ctx := .ctx }}
{{- $name := .component }}
{{- $c := index $ctx.Values $name }}
volumeMounts:
  {{- include "todo-chatbot.writableMounts" $c.writableDirs | trim | nindent 2 }}
  {{- if and (eq $name "frontend") (include "todo-chatbot.postgresql.certificate.enabled" $ctx) }}
  {{- include "todo-chatbot.neonProxy.caMount" $ctx | nindent 2 }}
  {{- end }}
  {{- with $c.writableFiles }}
  {{- include "todo-chatbot.writableFileMounts" . | trim | nindent 2 }}
  {{- end }}
  {{- with $c.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
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
{{- if and (eq .component "frontend") (include "todo-chatbot.postgresql.certificate.enabled" $ctx) }}
{{- /* NODE_EXTRA_CA_CERTS is read once at start: a new CA needs new pods */}}
checksum/neon-proxy-ca: {{ index (include "todo-chatbot.neonProxy.tls" $ctx | fromJson) "ca.crt" | sha256sum }}
{{- end }}
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
own image (todo-chatbot.writableFilesInit, in _containers.tpl) first creates the empty files; the app
then opens them for writing like any file.
*/}}
{{- define "todo-chatbot.writableFileMounts" -}}
{{- range $i, $file := . }}
- name: writable-files
  mountPath: {{ $file }}
  subPath: {{ printf "file-%d" $i }}
{{- end }}
{{- end }}
