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

{{/* What production start-up requires (ff_shared.settings.production): the environment's
third parties and public addresses from `settings`, Dynamics and OBV through the gateway (which
holds their credentials), every secret an `ssm:` reference read at start-up. One entry per line
pair: tests/infra/deployed_env.py reads them. */}}
{{- define "ff.settingsEnv" -}}
- name: FF_COGNITO_CUSTOMER_POOL_ID
  value: {{ required "settings.cognito.customerPoolId is required" .Values.settings.cognito.customerPoolId | quote }}
- name: FF_COGNITO_CUSTOMER_CLIENT_ID
  value: {{ required "settings.cognito.customerClientId is required" .Values.settings.cognito.customerClientId | quote }}
- name: FF_COGNITO_STAFF_POOL_ID
  value: {{ required "settings.cognito.staffPoolId is required" .Values.settings.cognito.staffPoolId | quote }}
- name: FF_COGNITO_STAFF_CLIENT_ID
  value: {{ required "settings.cognito.staffClientId is required" .Values.settings.cognito.staffClientId | quote }}
- name: FF_API_CORS_ORIGINS
  value: {{ join "," .Values.settings.corsOrigins | required "settings.corsOrigins is required" | quote }}
- name: FF_OBV_CALLBACK_URL
  value: {{ printf "%s/v1/open-banking/callback" (required "settings.apiUrl is required" .Values.settings.apiUrl) | quote }}
- name: FF_ANCHOR_LMS_BASE_URL
  value: {{ required "settings.anchorLmsUrl is required" .Values.settings.anchorLmsUrl | quote }}
- name: FF_PAYMENTS_BASE_URL
  value: {{ required "settings.paymentsUrl is required" .Values.settings.paymentsUrl | quote }}
- name: FF_ANALYST_BASE_URL
  value: {{ required "settings.analystUrl is required" .Values.settings.analystUrl | quote }}
- name: FF_GOOGLE_ANALYTICS_BASE_URL
  value: {{ required "settings.googleAnalyticsUrl is required" .Values.settings.googleAnalyticsUrl | quote }}
- name: FF_LMS_SFTP_HOST
  value: {{ required "settings.lmsSftpHost is required" .Values.settings.lmsSftpHost | quote }}
{{- if .Values.gateway.enabled }}
- name: FF_DYNAMICS_GATEWAY_URL
  value: {{ printf "http://%s-gateway:%v/dynamics/api/data/v9.2" .Release.Name .Values.gateway.port | quote }}
- name: FF_OBV_GATEWAY_URL
  value: {{ printf "http://%s-gateway:%v/obv" .Release.Name .Values.gateway.port | quote }}
{{- end }}
- name: FF_MONGO_URL
  value: {{ printf "ssm:%s/mongo/url" .Values.settings.ssmPrefix | quote }}
- name: FF_REDIS_URL
  value: {{ printf "ssm:%s/redis/url" .Values.settings.ssmPrefix | quote }}
- name: FF_POSTGRES_DSN
  value: {{ printf "ssm:%s/postgres/dsn" .Values.settings.ssmPrefix | quote }}
- name: FF_LOANBOOK_CONNECTION_STRING
  value: {{ printf "ssm:%s/loanbook/connection-string" .Values.settings.ssmPrefix | quote }}
- name: FF_LMS_SQLSERVER_CONNECTION_STRING
  value: {{ printf "ssm:%s/lms/sqlserver-connection-string" .Values.settings.ssmPrefix | quote }}
- name: FF_LMS_SFTP_PASSWORD
  value: {{ printf "ssm:%s/lms/sftp-password" .Values.settings.ssmPrefix | quote }}
- name: FF_ANCHOR_LMS_PASSWORD
  value: {{ printf "ssm:%s/anchor-lms/password" .Values.settings.ssmPrefix | quote }}
- name: FF_PAYMENTS_ACCESS_TOKEN
  value: {{ printf "ssm:%s/payments/access-token" .Values.settings.ssmPrefix | quote }}
- name: FF_PAYMENTS_WEBHOOK_SECRET
  value: {{ printf "ssm:%s/payments/webhook-secret" .Values.settings.ssmPrefix | quote }}
- name: FF_ANALYST_API_KEY
  value: {{ printf "ssm:%s/claude/api-key" .Values.settings.ssmPrefix | quote }}
- name: FF_GOOGLE_ANALYTICS_CREDENTIALS_JSON
  value: {{ printf "ssm:%s/google-analytics/credentials" .Values.settings.ssmPrefix | quote }}
- name: FF_ADP_CUSTOMER_KEY_SALT
  value: {{ printf "ssm:%s/adp/customer-key-salt" .Values.settings.ssmPrefix | quote }}
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
  {{- include "ff.settingsEnv" .root | nindent 2 }}
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
