{{/* Chart name for the app.kubernetes.io/name label. */}}
{{- define "log-shipper.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource names are the release name, like charts/microservice. */}}
{{- define "log-shipper.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Namespace pinned by values: the IRSA trust names it exactly. */}}
{{- define "log-shipper.namespace" -}}
{{- .Values.namespace | default .Release.Namespace -}}
{{- end -}}

{{- define "log-shipper.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "log-shipper.selectorLabels" -}}
app.kubernetes.io/name: {{ include "log-shipper.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "log-shipper.labels" -}}
{{ include "log-shipper.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: log-shipper
app.kubernetes.io/part-of: platform
helm.sh/chart: {{ include "log-shipper.chart" . }}
{{- end -}}

{{/* repository:tag@digest when a digest is set (pinned), else repository:tag. */}}
{{- define "log-shipper.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository .Values.image.tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
{{- end -}}

{{/* Tag regex of the containers whose logs are JSON lines: kube.var.log.containers.<pod>_<namespace>_<container>-<id>.log */}}
{{- define "log-shipper.serviceLogsMatch" -}}
{{- printf "^kube\\.var\\.log\\.containers\\.[^_]+_(?:%s)_[^_]+\\.log$" (join "|" .Values.config.serviceLogs.namespaces) -}}
{{- end -}}
