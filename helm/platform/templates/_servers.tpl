{{/*
The in-cluster trial servers (PostgreSQL, RabbitMQ): one StatefulSet each with a data volume, run as the images'
non-root user (UID 999 in the official images) with a read-only root filesystem.
*/}}

{{- define "platform.server.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 999
runAsGroup: 999
fsGroup: 999
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
A trial server's StatefulSet: (dict "root" $ "component" "postgresql" "values" .Values.database.inCluster
  "port" 5432 "portName" "postgresql" "dataPath" "/var/lib/postgresql/data" "env" "..." "mounts" "..." "volumes" "..."
  "probe" (tcpSocket or exec)).
*/}}
{{- define "platform.server.statefulSet" -}}
{{- $values := .values -}}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ include "platform.componentFullname" . }}
  labels:
    {{- include "platform.labels" . | nindent 4 }}
spec:
  serviceName: {{ include "platform.componentFullname" . }}
  replicas: 1
  selector:
    matchLabels:
      {{- include "platform.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "platform.labels" . | nindent 8 }}
      {{- with .annotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        {{- include "platform.server.podSecurityContext" . | nindent 8 }}
      containers:
        - name: {{ .component }}
          image: {{ printf "%s:%s" $values.image.repository $values.image.tag }}
          imagePullPolicy: {{ .root.Values.image.pullPolicy }}
          ports:
            {{- toYaml .ports | nindent 12 }}
          env:
            {{- include .env . | nindent 12 }}
          startupProbe:
            {{- toYaml .probe | nindent 12 }}
            periodSeconds: 2
            failureThreshold: 90
          livenessProbe:
            {{- toYaml .probe | nindent 12 }}
            periodSeconds: 15
            timeoutSeconds: 5
            failureThreshold: 4
          readinessProbe:
            {{- toYaml .probe | nindent 12 }}
            periodSeconds: 5
            timeoutSeconds: 5
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- include "platform.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            - name: data
              mountPath: {{ .dataPath }}
            - name: tmp
              mountPath: /tmp
            {{- with .mounts }}
            {{- include . $ | nindent 12 }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 256Mi
        {{- with .volumes }}
        {{- include . $ | nindent 8 }}
        {{- end }}
  volumeClaimTemplates:
    - metadata:
        name: data
        labels:
          {{- include "platform.selectorLabels" . | nindent 10 }}
      spec:
        accessModes: [ReadWriteOnce]
        {{- with $values.persistence.storageClass }}
        storageClassName: {{ . | quote }}
        {{- end }}
        resources:
          requests:
            storage: {{ $values.persistence.size }}
{{- end -}}

{{/* A trial server's Service: (dict "root" $ "component" "postgresql" "ports" (list ...)). */}}
{{- define "platform.server.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "platform.componentFullname" . }}
  labels:
    {{- include "platform.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "platform.selectorLabels" . | nindent 4 }}
  ports:
    {{- range .ports }}
    - name: {{ .name }}
      port: {{ .containerPort }}
      targetPort: {{ .name }}
      protocol: TCP
    {{- end }}
{{- end -}}
