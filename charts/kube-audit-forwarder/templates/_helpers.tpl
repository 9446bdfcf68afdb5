{{/* The release's full name: the release name, with the chart name appended unless it holds it. */}}
{{- define "kaf.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kaf.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kaf.labels" -}}
{{ include "kaf.selectorLabels" . }}
app.kubernetes.io/part-of: kube-audit-forwarder
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "kaf.serviceAccountName" -}}
{{- default (include "kaf.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "kaf.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Where each distribution's kube-apiserver writes the audit log, and the node directory to mount. */}}
{{- define "kaf.presets" -}}
default: {path: /var/log/kubernetes/audit.log, hostDir: /var/log/kubernetes}
kubeadm: {path: /var/log/kubernetes/audit/audit.log, hostDir: /var/log/kubernetes}
k3s: {path: /var/lib/rancher/k3s/server/logs/audit.log, hostDir: /var/lib/rancher/k3s/server/logs}
rke2: {path: /var/lib/rancher/rke2/server/logs/audit.log, hostDir: /var/lib/rancher/rke2/server/logs}
{{- end -}}

{{- define "kaf.auditLogPath" -}}
{{- $preset := get (include "kaf.presets" . | fromYaml) .Values.distribution -}}
{{- default $preset.path .Values.auditLog.path -}}
{{- end -}}

{{- define "kaf.auditLogHostDir" -}}
{{- $preset := get (include "kaf.presets" . | fromYaml) .Values.distribution -}}
{{- if .Values.auditLog.hostDir -}}
{{- .Values.auditLog.hostDir -}}
{{- else if .Values.auditLog.path -}}
{{- dir .Values.auditLog.path -}}
{{- else -}}
{{- $preset.hostDir -}}
{{- end -}}
{{- end -}}

{{/* Mount paths of the sink's Secret files. */}}
{{- define "kaf.credentialsDir" -}}
/etc/kube-audit-forwarder/{{ .Values.sink.type }}
{{- end -}}

{{/* The TLS and credential Secret keys the sink reads, as projected volume sources (YAML list, may be empty). */}}
{{- define "kaf.credentialSources" -}}
{{- $sink := .Values.sink.type -}}
{{- if or (eq $sink "kafka") (eq $sink "forward") -}}
{{- $settings := get .Values.sink $sink -}}
{{- $tls := $settings.tls -}}
{{- if and $tls.enabled $tls.secretName -}}
- secret:
    name: {{ $tls.secretName }}
    items:
      {{- if $tls.caKey }}
      - key: {{ $tls.caKey }}
        path: ca.crt
      {{- end }}
      {{- if $tls.clientCertificate }}
      - key: {{ $tls.certKey }}
        path: tls.crt
      - key: {{ $tls.keyKey }}
        path: tls.key
      {{- end }}
{{ end -}}
{{- if and (eq $sink "kafka") (eq $settings.sasl.mechanism "oauthbearer") }}
- secret:
    name: {{ required "sink.kafka.sasl.tokenSecret.name is required with the oauthbearer mechanism" $settings.sasl.tokenSecret.name }}
    items:
      - key: {{ $settings.sasl.tokenSecret.key }}
        path: oauthbearer-token
{{ else if and (eq $sink "kafka") (ne $settings.sasl.mechanism "none") }}
- secret:
    name: {{ required "sink.kafka.sasl.passwordSecret.name is required with a SASL mechanism" $settings.sasl.passwordSecret.name }}
    items:
      - key: {{ $settings.sasl.passwordSecret.key }}
        path: sasl-password
{{ end -}}
{{- if and (eq $sink "forward") $settings.sharedKeySecret.name }}
- secret:
    name: {{ $settings.sharedKeySecret.name }}
    items:
      - key: {{ $settings.sharedKeySecret.key }}
        path: shared-key
{{ end -}}
{{- if and (eq $sink "forward") $settings.passwordSecret.name }}
- secret:
    name: {{ $settings.passwordSecret.name }}
    items:
      - key: {{ $settings.passwordSecret.key }}
        path: password
{{ end -}}
{{- end -}}
{{- end -}}

{{/* The sink's ports the agent dials, for the NetworkPolicy (one per line). */}}
{{- define "kaf.sinkPorts" -}}
{{- if eq .Values.sink.type "kafka" -}}
{{- range .Values.sink.kafka.brokers }}
{{ regexFind "[0-9]+$" . }}
{{- end -}}
{{- else if eq .Values.sink.type "forward" -}}
{{- range .Values.sink.forward.servers }}
{{ if regexMatch ":[0-9]+$" . }}{{ regexFind "[0-9]+$" . }}{{ else }}24224{{ end }}
{{- end -}}
{{- end -}}
{{- range .Values.alerts.alertmanagerUrls }}
{{ $url := urlParse . }}{{ if regexMatch ":[0-9]+$" $url.host }}{{ regexFind "[0-9]+$" $url.host }}{{ else if eq $url.scheme "https" }}443{{ else }}80{{ end }}
{{- end -}}
{{- range .Values.alerts.webhookPorts }}
{{ . }}
{{- end -}}
{{- end -}}

{{/* Whether the metrics Service exists: asked for, or needed by a ServiceMonitor or `helm test`. */}}
{{- define "kaf.serviceEnabled" -}}
{{- if or .Values.metrics.service.enabled .Values.metrics.serviceMonitor.enabled .Values.tests.enabled -}}true{{- end -}}
{{- end -}}

{{/* The selector of the agent's own series in alert expressions. */}}
{{- define "kaf.seriesSelector" -}}
namespace="{{ .Release.Namespace }}", pod=~"{{ include "kaf.fullname" . }}-[a-z0-9]+"
{{- end -}}

{{/* A setting as the agent reads it: numbers written out in full (YAML numbers arrive as floats, which print as 1e+06). */}}
{{- define "kaf.settingValue" -}}
{{- if or (kindIs "float64" .) (kindIs "int64" .) (kindIs "int" .) -}}
{{- . | int64 | toString | quote -}}
{{- else -}}
{{- . | toString | quote -}}
{{- end -}}
{{- end -}}
