{{/*
Names, labels and the building blocks every component uses. Component-level helpers take a dict:
  (dict "root" $ "component" "gateway" "values" .Values.gateway)
where component is the kebab-case name used in object names and the app.kubernetes.io/component label, and values
is the component's block of values.yaml (each block has the same common keys: see "component" in values.schema.json).
A new component is a folder of templates calling these helpers, a values block, and a schema entry.
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

{{/* Labels of every pod of the release, whatever its component (the default-deny NetworkPolicy selects on them). */}}
{{- define "platform.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "platform.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Every label of a component's objects. */}}
{{- define "platform.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "platform.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: {{ include "platform.name" .root }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* Image reference of a platform component: (dict "root" $ "image" .Values.gateway.image). */}}
{{- define "platform.image" -}}
{{- $registry := .root.Values.image.registry | trimSuffix "/" -}}
{{- $tag := .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" $registry .image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The ServiceAccount a component's pods run as. */}}
{{- define "platform.serviceAccountName" -}}
{{- if .values.serviceAccount.create -}}
{{- .values.serviceAccount.name | default (include "platform.componentFullname" .) -}}
{{- else -}}
{{- .values.serviceAccount.name | default "default" -}}
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

{{/* Secret holding the PostgreSQL connection strings (keys: scheduler, model-store, gateway). */}}
{{- define "platform.databaseSecretName" -}}
{{- .Values.database.existingSecret | default (printf "%s-database" (include "platform.fullname" .)) -}}
{{- end -}}

{{/* Secret holding the RabbitMQ URI (key: uri). */}}
{{- define "platform.rabbitmqSecretName" -}}
{{- .Values.rabbitmq.existingSecret | default (printf "%s-rabbitmq" (include "platform.fullname" .)) -}}
{{- end -}}

{{/* Secret holding the service credential (key: token): the user's, or the one the chart makes and keeps. */}}
{{- define "platform.serviceTokenSecretName" -}}
{{- .Values.authentication.serviceToken.existingSecret | default (printf "%s-service-token" (include "platform.fullname" .)) -}}
{{- end -}}

{{/*
The service credential, on every service: the backends accept no call without it, and every host refuses to start
without it (docs/security.md). Part of the Deployment helper, so that no component can be rendered without it.
*/}}
{{- define "platform.serviceTokenEnv" -}}
- name: Authentication__ServiceToken
  valueFrom:
    secretKeyRef:
      name: {{ include "platform.serviceTokenSecretName" . }}
      key: token
{{- end -}}

{{/* Where CA certificates and the gateway's key pair are mounted. */}}
{{- define "platform.tlsDir" -}}/etc/platform/tls{{- end -}}

{{/* Environment variables every service container gets. */}}
{{- define "platform.commonEnv" -}}
- name: DOTNET_ENVIRONMENT
  value: Production
# Schema changes run in the migration Job (a Helm hook), never at start-up; the in-cluster trial database is the
# exception (see templates/migrations/job.yaml).
- name: Database__CreateOnStartup
  value: {{ .Values.database.inCluster.enabled | quote }}
{{- end -}}

{{/*
Environment for a service that owns a PostgreSQL database: (dict "root" $ "name" "Scheduler" "key" "scheduler").
External PostgreSQL: the connection string from the database Secret. In-cluster: built here, the password taken from
its Secret through Kubernetes' $(VAR) expansion.
*/}}
{{- define "platform.databaseEnv" -}}
- name: Database__Provider
  value: Postgres
{{- if .root.Values.database.inCluster.enabled }}
- name: PLATFORM_POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "platform.postgresql.secretName" .root }}
      key: password
- name: ConnectionStrings__{{ .name }}
  value: {{ printf "Host=%s;Port=5432;Database=%s;Username=%s;Password=$(PLATFORM_POSTGRES_PASSWORD)" (include "platform.componentFullname" (dict "root" .root "component" "postgresql")) (.key | replace "-" "_") .root.Values.database.inCluster.username | quote }}
{{- else }}
- name: ConnectionStrings__{{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "platform.databaseSecretName" .root }}
      key: {{ .key }}
{{- end }}
{{- with .root.Values.database.tls }}
{{- if .mode }}
- name: Database__Tls__Mode
  value: {{ .mode | quote }}
{{- end }}
{{- if .caSecret }}
- name: Database__Tls__RootCertificate
  value: {{ include "platform.tlsDir" $ }}/postgresql/{{ .caKey }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Environment for a service on the message bus (external broker: the URI from its Secret; in-cluster: built here). */}}
{{- define "platform.messagingEnv" -}}
- name: Messaging__Transport
  value: RabbitMq
{{- if .Values.rabbitmq.inCluster.enabled }}
- name: PLATFORM_RABBITMQ_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "platform.rabbitmq.secretName" . }}
      key: password
- name: ConnectionStrings__RabbitMq
  value: {{ printf "amqp://%s:$(PLATFORM_RABBITMQ_PASSWORD)@%s:5672/platform" .Values.rabbitmq.inCluster.username (include "platform.componentFullname" (dict "root" . "component" "rabbitmq")) | quote }}
{{- else }}
- name: ConnectionStrings__RabbitMq
  valueFrom:
    secretKeyRef:
      name: {{ include "platform.rabbitmqSecretName" . }}
      key: uri
{{- end }}
{{- with .Values.rabbitmq.tls }}
{{- if .caSecret }}
- name: Messaging__Tls__RootCertificate
  value: {{ include "platform.tlsDir" $ }}/rabbitmq/{{ .caKey }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Secrets holding the in-cluster servers' passwords (key: password). */}}
{{- define "platform.postgresql.secretName" -}}
{{- .Values.database.inCluster.existingSecret | default (include "platform.componentFullname" (dict "root" . "component" "postgresql")) -}}
{{- end -}}

{{- define "platform.rabbitmq.secretName" -}}
{{- .Values.rabbitmq.inCluster.existingSecret | default (include "platform.componentFullname" (dict "root" . "component" "rabbitmq")) -}}
{{- end -}}

{{/* Mounts of the CA certificates for PostgreSQL ("database" true) and RabbitMQ ("messaging" true), when configured. */}}
{{- define "platform.caMounts" -}}
{{- if and .database .root.Values.database.tls.caSecret }}
- name: postgresql-ca
  mountPath: {{ include "platform.tlsDir" . }}/postgresql
  readOnly: true
{{- end }}
{{- if and .messaging .root.Values.rabbitmq.tls.caSecret }}
- name: rabbitmq-ca
  mountPath: {{ include "platform.tlsDir" . }}/rabbitmq
  readOnly: true
{{- end }}
{{- end -}}

{{- define "platform.caVolumes" -}}
{{- if and .database .root.Values.database.tls.caSecret }}
- name: postgresql-ca
  secret:
    secretName: {{ .root.Values.database.tls.caSecret }}
    items:
      - key: {{ .root.Values.database.tls.caKey }}
        path: {{ .root.Values.database.tls.caKey }}
{{- end }}
{{- if and .messaging .root.Values.rabbitmq.tls.caSecret }}
- name: rabbitmq-ca
  secret:
    secretName: {{ .root.Values.rabbitmq.tls.caSecret }}
    items:
      - key: {{ .root.Values.rabbitmq.tls.caKey }}
        path: {{ .root.Values.rabbitmq.tls.caKey }}
{{- end }}
{{- end -}}

{{/* Pod-level security of the platform's pods: the images' non-root user (UID 1654); fsGroup lets it write volumes. */}}
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
privileged: false
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/*
Probes on the health endpoints (HTTP/1.1 port "http", 8081). Startup: the process answers /health/live (up to 2 min
for a cold start on a busy node); until then liveness and readiness wait. Liveness: the process answers. Readiness:
its dependencies answer too (ASP.NET Core health checks, e.g. the bus).
*/}}
{{- define "platform.probes" -}}
startupProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: 2
  timeoutSeconds: 3
  failureThreshold: 60
livenessProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /health/ready
    port: http
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
{{- end -}}

{{/* Container ports: gRPC (HTTP/2) and HTTP/1.1 health, and the byte stream when "transfers" is true. */}}
{{- define "platform.containerPorts" -}}
- name: grpc
  containerPort: 8080
  protocol: TCP
- name: http
  containerPort: 8081
  protocol: TCP
{{- if .transfers }}
- name: transfers
  containerPort: 8082
  protocol: TCP
{{- end }}
{{- end -}}

{{/*
Scheduling of a component's pods: node selector, tolerations, affinity, priority class, and topology spread (the
component's own constraints, or by default a soft spread over nodes and zones so that replicas do not share a fate).
*/}}
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
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
topologySpreadConstraints:
{{- if .values.topologySpreadConstraints }}
  {{- toYaml .values.topologySpreadConstraints | nindent 2 }}
{{- else }}
{{- range list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
  - maxSkew: 1
    topologyKey: {{ . }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "platform.selectorLabels" $ | nindent 8 }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
A platform service's Deployment:
  (dict "root" $ "component" "gateway" "values" .Values.gateway "env" "platform.gateway.env"
        "transfers" true "database" false "messaging" false "replicas" true
        "volumes" "platform.gateway.volumes" "mounts" "platform.gateway.mounts" "podSpec" "platform.worker.podSpec")
env / volumes / mounts / podSpec name templates (called with the same dict) for what the component adds;
"replicas" false leaves spec.replicas to an autoscaler.
*/}}
{{- define "platform.deployment" -}}
{{- $values := .values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "platform.componentFullname" . }}
  labels:
    {{- include "platform.labels" . | nindent 4 }}
spec:
  {{- if .replicas }}
  replicas: {{ $values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  {{- with .strategy }}
  strategy:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "platform.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "platform.labels" . | nindent 8 }}
        {{- with $values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # Pods roll when a chart-made Secret changes (the services read connection settings at start only).
        checksum/secrets: {{ include (print .root.Template.BasePath "/common/secrets.yaml") .root | sha256sum | trunc 16 }}
        {{- with $values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "platform.serviceAccountName" . }}
      # The services never call the Kubernetes API.
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- with .root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- include "platform.podSecurityContext" . | nindent 8 }}
      {{- with .podSpec }}{{ with include . $ | trim }}
      {{- . | nindent 6 }}
      {{- end }}{{ end }}
      containers:
        - name: {{ .component }}
          image: {{ include "platform.image" (dict "root" .root "image" $values.image) }}
          imagePullPolicy: {{ .root.Values.image.pullPolicy }}
          ports:
            {{- include "platform.containerPorts" . | nindent 12 }}
          env:
            {{- include "platform.commonEnv" .root | nindent 12 }}
            {{- include "platform.serviceTokenEnv" .root | nindent 12 }}
            {{- if .database }}
            {{- include "platform.databaseEnv" (dict "root" .root "name" .databaseName "key" .component) | nindent 12 }}
            {{- end }}
            {{- if .messaging }}
            {{- include "platform.messagingEnv" .root | nindent 12 }}
            {{- end }}
            {{- with .env }}{{ with include . $ | trim }}
            {{- . | nindent 12 }}
            {{- end }}{{ end }}
            {{- with .root.Values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with $values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with .root.Values.extraEnvFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- include "platform.probes" . | nindent 10 }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- include "platform.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            # Scratch: the root filesystem is read-only.
            - name: tmp
              mountPath: /tmp
            {{- with include "platform.caMounts" . | trim }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with .mounts }}{{ with include . $ | trim }}
            {{- . | nindent 12 }}
            {{- end }}{{ end }}
      volumes:
        - name: tmp
          emptyDir:
            {{- with $values.scratchSizeLimit }}
            sizeLimit: {{ . }}
            {{- else }}
            sizeLimit: 1Gi
            {{- end }}
        {{- with include "platform.caVolumes" . | trim }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- with .volumes }}{{ with include . $ | trim }}
        {{- . | nindent 8 }}
        {{- end }}{{ end }}
      {{- include "platform.scheduling" . | trim | nindent 6 }}
{{- end -}}

{{/* A Service for a component's gRPC and health ports, and its byte-stream port when "transfers" is true. */}}
{{- define "platform.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "platform.componentFullname" . }}
  labels:
    {{- include "platform.labels" . | nindent 4 }}
  {{- with .annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .type | default "ClusterIP" }}
  selector:
    {{- include "platform.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .port | default 8080 }}
      targetPort: grpc
      protocol: TCP
      {{- if not .tls }}
      appProtocol: kubernetes.io/h2c
      {{- end }}
    - name: http
      port: 8081
      targetPort: http
      protocol: TCP
    {{- if .transfers }}
    - name: transfers
      port: {{ .transfersPort | default 8082 }}
      targetPort: transfers
      protocol: TCP
      appProtocol: {{ if .tls }}https{{ else }}http{{ end }}
    {{- end }}
{{- end -}}

{{/* A component's ServiceAccount, when it creates one. */}}
{{- define "platform.serviceAccount" -}}
{{- if .values.serviceAccount.create -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "platform.serviceAccountName" . }}
  labels:
    {{- include "platform.labels" . | nindent 4 }}
  {{- with .values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end -}}
{{- end -}}

{{/*
A component's PodDisruptionBudget. maxUnavailable (default 1) rather than minAvailable, so that a single replica
never blocks a node drain; a component scaled to zero (KEDA) has nothing to protect.
*/}}
{{- define "platform.podDisruptionBudget" -}}
{{- $pdb := .values.podDisruptionBudget -}}
{{- if $pdb.enabled -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "platform.componentFullname" . }}
  labels:
    {{- include "platform.labels" . | nindent 4 }}
spec:
  {{- if hasKey $pdb "minAvailable" }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $pdb.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "platform.selectorLabels" . | nindent 6 }}
{{- end -}}
{{- end -}}

{{/* Seconds as a .NET TimeSpan ("hh:mm:ss"), for settings such as Worker__ShutdownGrace. */}}
{{- define "platform.timeSpan" -}}
{{- printf "%02d:%02d:%02d" (div . 3600) (div (mod . 3600) 60) (mod . 60) -}}
{{- end -}}

{{/* A Kubernetes memory quantity (e.g. 1Gi, 512Mi, 2G) in bytes. */}}
{{- define "platform.bytes" -}}
{{- $q := toString . -}}
{{- $units := dict "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 -}}
{{- $number := regexFind "^[0-9]+" $q -}}
{{- $unit := trimPrefix $number $q -}}
{{- if not $unit -}}
{{- $number -}}
{{- else if hasKey $units $unit -}}
{{- mul (int64 $number) (get $units $unit) -}}
{{- else -}}
{{- fail (printf "cannot read the memory quantity %q (use an integer with Ki, Mi, Gi, Ti, k, M, G or T)" $q) -}}
{{- end -}}
{{- end -}}
