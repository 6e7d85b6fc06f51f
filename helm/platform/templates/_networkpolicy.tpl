{{/*
NetworkPolicy building blocks. Every pod of the release is denied all traffic (common/networkpolicy.yaml); each
component's policy then allows the flows the design needs, and nothing else:

  clients        -> gateway      8080 (gRPC), 8082 (byte stream)       networkPolicy.gatewayFrom (default: anyone)
  gateway        -> scheduler    8080;  model-store 8080, 8082
  scheduler      -> model-store  8080
  worker         -> model-store  8080, 8082
  scheduler, model-store, gateway, migrations -> PostgreSQL;  scheduler, model-store, worker -> RabbitMQ
  gateway        -> identity provider (authentication.jwt.authority's port; networkPolicy.identityProviderTo)
  anyone         -> every pod    8081 (health probes, /metrics)
  every pod      -> DNS          53
*/}}

{{/* The object around a component's rules: (dict "root" $ "component" "gateway" "ingress" "<template>" "egress" "<template>"). */}}
{{- define "platform.networkPolicy" -}}
{{- if .root.Values.networkPolicy.enabled -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "platform.componentFullname" . }}
  labels:
    {{- include "platform.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "platform.selectorLabels" . | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    {{- with .ingress }}
    {{- include . $ | nindent 4 }}
    {{- else }} []
    {{- end }}
  egress:
    {{- with .egress }}
    {{- include . $ | nindent 4 }}
    {{- else }} []
    {{- end }}
{{- end -}}
{{- end -}}

{{/* A peer selecting the pods of a component of this release: (dict "root" $ "component" "gateway"). */}}
{{- define "platform.networkPolicy.peer" -}}
- podSelector:
    matchLabels:
      {{- include "platform.selectorLabels" . | nindent 6 }}
{{- end -}}

{{/* Ports list: (list 8080 8082). */}}
{{- define "platform.networkPolicy.ports" -}}
{{- $ports := list -}}
{{- range . -}}
{{- $ports = append $ports (dict "port" . "protocol" "TCP") -}}
{{- end -}}
{{- toYaml $ports -}}
{{- end -}}

{{/* Ingress on the health/metrics port from anywhere: the kubelet's probes and Prometheus. */}}
{{- define "platform.networkPolicy.healthIngress" -}}
- ports:
    - port: 8081
      protocol: TCP
{{- end -}}

{{/* Egress every platform pod needs: DNS, and the rules of networkPolicy.extraEgress. */}}
{{- define "platform.networkPolicy.baseEgress" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- with .root.Values.networkPolicy.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Egress to a component of this release: (dict "root" $ "component" "model-store" "ports" (list 8080 8082)). */}}
{{- define "platform.networkPolicy.toComponent" -}}
- to:
    {{- include "platform.networkPolicy.peer" . | nindent 4 }}
  ports:
    {{- include "platform.networkPolicy.ports" .ports | nindent 4 }}
{{- end -}}

{{/* Egress to PostgreSQL: the in-cluster one, or the external one (networkPolicy.databaseTo, any address by default). */}}
{{- define "platform.networkPolicy.databaseEgress" -}}
{{- if .root.Values.database.inCluster.enabled -}}
{{ include "platform.networkPolicy.toComponent" (dict "root" .root "component" "postgresql" "ports" (list 5432)) }}
{{- else -}}
- ports:
    {{- include "platform.networkPolicy.ports" .root.Values.networkPolicy.databasePorts | nindent 4 }}
  {{- with .root.Values.networkPolicy.databaseTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- end -}}

{{/* Egress to RabbitMQ: the in-cluster one, or the external one (networkPolicy.rabbitmqTo, any address by default). */}}
{{- define "platform.networkPolicy.rabbitmqEgress" -}}
{{- if .root.Values.rabbitmq.inCluster.enabled -}}
{{ include "platform.networkPolicy.toComponent" (dict "root" .root "component" "rabbitmq" "ports" (list 5672)) }}
{{- else -}}
- ports:
    {{- include "platform.networkPolicy.ports" .root.Values.networkPolicy.rabbitmqPorts | nindent 4 }}
  {{- with .root.Values.networkPolicy.rabbitmqTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- end -}}

{{/*
Egress to the identity provider, when the gateway fetches its metadata and signing keys (authentication.jwt.authority):
its port only (443 for https, unless the URL names one), to networkPolicy.identityProviderTo (any address by default).
*/}}
{{- define "platform.networkPolicy.identityProviderEgress" -}}
{{- with .root.Values.authentication.jwt.authority -}}
{{- $url := urlParse . -}}
{{- $port := regexFind ":[0-9]+$" $url.host | trimPrefix ":" | default (ternary "443" "80" (eq $url.scheme "https")) -}}
- ports:
    {{- include "platform.networkPolicy.ports" (list (int $port)) | nindent 4 }}
  {{- with $.root.Values.networkPolicy.identityProviderTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- end -}}
