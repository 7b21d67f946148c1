{{/*
The `helm test` pod of each test-*.yaml here: a one-liner run to completion in one of the app images,
with the app pods' security settings. Call with
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
