{{/*
Shared names, labels and the image reference. The release name is the service name, so fullname is simply the
release name (truncated to the 63-character DNS label limit); no chart name is appended.
*/}}

{{/* app.kubernetes.io/name: nameOverride, else the release name. */}}
{{- define "microservice.name" -}}
{{- default .Release.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of every object of the release; also the Prometheus job label (= Service name). */}}
{{- define "microservice.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* helm.sh/chart value: "<chart>-<version>" with "+" made label-safe. */}}
{{- define "microservice.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* app.kubernetes.io/version: the image tag when set, else the chart appVersion; sanitised to a label value. */}}
{{- define "microservice.version" -}}
{{- default .Chart.AppVersion .Values.image.tag | replace "+" "_" | trunc 63 | trimSuffix "-" | trimSuffix "_" | trimSuffix "." -}}
{{- end -}}

{{/* Immutable identity used in selectors (Deployment, Service, PDB, NetworkPolicy, ServiceMonitor). */}}
{{- define "microservice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "microservice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Full label set on every object. Never used as a selector: the version label changes on every release. */}}
{{- define "microservice.labels" -}}
{{ include "microservice.selectorLabels" . }}
app.kubernetes.io/version: {{ include "microservice.version" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: platform
helm.sh/chart: {{ include "microservice.chart" . }}
{{- end -}}

{{/*
Image reference: "repository@digest" when a digest is set (the tag is then informational), else
"repository:tag". The schema already refuses "latest" and an image with neither tag nor digest; these checks
repeat that for renders run with --skip-schema-validation.
*/}}
{{- define "microservice.image" -}}
{{- $img := .Values.image -}}
{{- $tag := $img.tag | default "" | toString -}}
{{- $digest := $img.digest | default "" | toString -}}
{{- if eq (lower $tag) "latest" -}}
{{- fail "image.tag must not be \"latest\": pin an immutable tag and, preferably, a digest" -}}
{{- end -}}
{{- if not $img.repository -}}
{{- fail "image.repository is required" -}}
{{- end -}}
{{- if $digest -}}
{{- printf "%s@%s" $img.repository $digest -}}
{{- else if $tag -}}
{{- printf "%s:%s" $img.repository $tag -}}
{{- else -}}
{{- fail "set image.tag or image.digest (digest preferred)" -}}
{{- end -}}
{{- end -}}

{{/* Lowest replica count the workload can run with: the HPA minimum when autoscaling, else replicaCount. */}}
{{- define "microservice.minReplicas" -}}
{{- if .Values.autoscaling.enabled -}}
{{- .Values.autoscaling.minReplicas -}}
{{- else -}}
{{- .Values.replicaCount -}}
{{- end -}}
{{- end -}}

{{/* Cross-field checks the JSON schema cannot express; included once from deployment.yaml. */}}
{{- define "microservice.validate" -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas (%v) must not exceed autoscaling.maxReplicas (%v)" .Values.autoscaling.minReplicas .Values.autoscaling.maxReplicas) -}}
{{- end -}}
{{- $pdb := .Values.podDisruptionBudget -}}
{{- if and $pdb.enabled (eq (toString $pdb.maxUnavailable) "") (not (kindIs "string" $pdb.minAvailable)) -}}
{{- $min := include "microservice.minReplicas" . | int -}}
{{- if ge (int $pdb.minAvailable) $min -}}
{{- fail (printf "podDisruptionBudget.minAvailable (%v) must be lower than the minimum replica count (%d), or no pod could ever be evicted and node drains would hang; lower it or set maxUnavailable" $pdb.minAvailable $min) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A Prometheus duration ("1h30m", "30s", "0s") in milliseconds, for cross-field checks. */}}
{{- define "microservice.durationMs" -}}
{{- $units := dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 "d" 86400000 "w" 604800000 "y" 31536000000 -}}
{{- $total := 0 -}}
{{- range regexFindAll "[0-9]+(ms|y|w|d|h|m|s)" . -1 -}}
{{- $n := regexFind "^[0-9]+" . | int64 -}}
{{- $unit := regexReplaceAll "^[0-9]+" . "" -}}
{{- $total = add $total (mul $n (get $units $unit)) -}}
{{- end -}}
{{- $total -}}
{{- end -}}

{{/* Objects the platform Prometheus selects carry "prometheus: platform" on top of the standard labels. */}}
{{- define "microservice.platformLabels" -}}
{{- $standard := include "microservice.labels" .root | fromYaml -}}
{{- toYaml (merge (dict "prometheus" "platform") $standard (.extra | default dict)) -}}
{{- end -}}

{{/* A Rollout's analysis block: the release's AnalysisTemplate, measuring the pods behind Service .service. */}}
{{- define "microservice.rolloutAnalysis" -}}
templates:
  - templateName: {{ include "microservice.fullname" .root }}
args:
  - name: service-name
    value: {{ .service }}
  - name: namespace
    value: {{ .root.Release.Namespace }}
{{- end -}}
