{{- define "ff.labels" -}}
app.kubernetes.io/name: fair-finance
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "ff.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ff.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The pod spec every platform workload shares: non-root, read-only root, /tmp as emptyDir. */}}
{{- define "ff.podCommon" -}}
serviceAccountName: {{ .root.Values.serviceAccount.name }}
automountServiceAccountToken: true
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 2Gi
{{- end -}}

{{- define "ff.containerCommon" -}}
image: {{ include "ff.image" .root }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml .root.Values.securityContext | nindent 2 }}
env:
  {{- range $k, $v := .root.Values.env }}
  - name: {{ $k }}
    value: {{ $v | quote }}
  {{- end }}
  - name: FF_WORKER_NAME
    value: {{ .component | quote }}
  - name: FF_OBSERVABILITY_SERVICE_NAME
    value: {{ .component | quote }}
{{- with .root.Values.envFromSecret }}
envFrom:
  - secretRef:
      name: {{ . }}
{{- end }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end -}}
