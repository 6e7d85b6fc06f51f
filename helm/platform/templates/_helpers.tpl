{{/*
Names and labels. Component-level helpers take (dict "root" $ "component" "gateway"), where component is the
kebab-case name used in object names and the app.kubernetes.io/component label.
*/}}

{{/* Chart name, or nameOverride. */}}
{{- define "platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-<chart> (or fullnameOverride), without repeating the chart name if the release already has it. */}}
{{- define "platform.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of a component's objects: <fullname>-<component>. */}}
{{- define "platform.componentFullname" -}}
{{- printf "%s-%s" (include "platform.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select a component's pods; never change them on upgrade (selectors are immutable). */}}
{{- define "platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "platform.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Every label of a component's objects. */}}
{{- define "platform.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "platform.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: {{ include "platform.name" .root }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* Image reference of a component: (dict "root" $ "image" .Values.gateway.image). */}}
{{- define "platform.image" -}}
{{- $registry := .root.Values.image.registry | trimSuffix "/" -}}
{{- $tag := .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" $registry .image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* gRPC address of a component inside the cluster, for Services__<Name>. */}}
{{- define "platform.grpcUrl" -}}
{{- printf "http://%s:8080" (include "platform.componentFullname" .) -}}
{{- end -}}

{{/* The byte stream's HTTP/1.1 address of a component (model-store), in-cluster: (dict "root" $ "component" "model-store"). */}}
{{- define "platform.transfersUrl" -}}
{{- printf "http://%s:8082" (include "platform.componentFullname" .) -}}
{{- end -}}

{{/* Secret holding the PostgreSQL connection strings (keys: scheduler, model-store). */}}
{{- define "platform.databaseSecretName" -}}
{{- .Values.database.existingSecret | default (printf "%s-database" (include "platform.fullname" .)) -}}
{{- end -}}

{{/* Secret holding the RabbitMQ URI (key: uri). */}}
{{- define "platform.rabbitmqSecretName" -}}
{{- .Values.rabbitmq.existingSecret | default (printf "%s-rabbitmq" (include "platform.fullname" .)) -}}
{{- end -}}

{{/* Environment variables every service container gets. */}}
{{- define "platform.commonEnv" -}}
- name: DOTNET_ENVIRONMENT
  value: Production
# Schema changes run in the migration Job (helm hook), never at start-up.
- name: Database__CreateOnStartup
  value: "false"
{{- end -}}

{{/* Environment for a service that owns a PostgreSQL database: (dict "root" $ "name" "Scheduler" "key" "scheduler"). */}}
{{- define "platform.databaseEnv" -}}
- name: Database__Provider
  value: Postgres
- name: ConnectionStrings__{{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "platform.databaseSecretName" .root }}
      key: {{ .key }}
{{- end -}}

{{/* Environment for a service on the message bus. */}}
{{- define "platform.messagingEnv" -}}
- name: Messaging__Transport
  value: RabbitMq
- name: ConnectionStrings__RabbitMq
  valueFrom:
    secretKeyRef:
      name: {{ include "platform.rabbitmqSecretName" . }}
      key: uri
{{- end -}}

{{/* Pod-level security: the images' non-root user (UID 1654); fsGroup lets it write mounted volumes. */}}
{{- define "platform.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1654
runAsGroup: 1654
fsGroup: 1654
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security: nothing to escalate to, nothing writable but the mounted volumes. */}}
{{- define "platform.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* Container ports every service listens on: gRPC (HTTP/2) and HTTP/1.1 health. */}}
{{- define "platform.containerPorts" -}}
- name: grpc
  containerPort: 8080
  protocol: TCP
- name: http
  containerPort: 8081
  protocol: TCP
{{- end -}}

{{/*
The byte stream's port (plain HTTP/1.1: artifact and data set bytes next to the gRPC API), on the model store and
the gateway: Platform__Ports__Transfers, 8082 by default.
*/}}
{{- define "platform.transfersContainerPort" -}}
- name: transfers
  containerPort: 8082
  protocol: TCP
{{- end -}}

{{/* Liveness: the process answers. Readiness: its dependencies answer too (ASP.NET Core health checks). */}}
{{- define "platform.probes" -}}
livenessProbe:
  httpGet:
    path: /health/live
    port: http
  initialDelaySeconds: 10
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /health/ready
    port: http
  initialDelaySeconds: 5
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
{{- end -}}

{{/* Scheduling settings of a component's pods: (dict "values" .Values.gateway). */}}
{{- define "platform.scheduling" -}}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* A Service for a component's gRPC and health ports, and its byte-stream port when "transfers" is true. */}}
{{- define "platform.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "platform.componentFullname" . }}
  labels:
    {{- include "platform.labels" . | nindent 4 }}
spec:
  type: {{ .type | default "ClusterIP" }}
  selector:
    {{- include "platform.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .port | default 8080 }}
      targetPort: grpc
      protocol: TCP
      appProtocol: kubernetes.io/h2c
    - name: http
      port: 8081
      targetPort: http
      protocol: TCP
    {{- if .transfers }}
    - name: transfers
      port: {{ .transfersPort | default 8082 }}
      targetPort: transfers
      protocol: TCP
      appProtocol: http
    {{- end }}
{{- end -}}
