package main

// Checks on rendered manifests that a cluster (or `kubectl apply --dry-run=server`) would otherwise catch,
// plus the chart's own rules: every workload runs non-root, read-only, without capabilities, with resources
// and health probes.

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Object is a parsed manifest.
type Object struct {
	Source string
	Kind   string
	Name   string
	Body   map[string]interface{}
}

var apiVersions = map[string]string{
	"Deployment": "apps/v1", "Service": "v1", "Secret": "v1", "PersistentVolumeClaim": "v1", "Job": "batch/v1",
	"ConfigMap": "v1", "ServiceAccount": "v1",
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// ParseObjects parses rendered documents; a document that is not valid YAML or lacks kind/name is a problem.
func ParseObjects(docs []Document) ([]Object, []string) {
	var objects []Object
	var problems []string
	for _, doc := range docs {
		var body map[string]interface{}
		if err := yaml.Unmarshal([]byte(doc.Text), &body); err != nil {
			problems = append(problems, fmt.Sprintf("%s: not valid YAML: %v\n%s", doc.Source, err, numbered(doc.Text)))
			continue
		}
		kind := str(body, "kind")
		name := str(body, "metadata", "name")
		if kind == "" || name == "" {
			problems = append(problems, fmt.Sprintf("%s: a document without kind or metadata.name", doc.Source))
			continue
		}
		objects = append(objects, Object{Source: doc.Source, Kind: kind, Name: name, Body: body})
	}
	return objects, problems
}

// CheckObjects applies every rule and returns the problems found.
func CheckObjects(objects []Object) []string {
	var problems []string
	report := func(o Object, format string, args ...interface{}) {
		problems = append(problems, fmt.Sprintf("%s %s (%s): %s", o.Kind, o.Name, o.Source, fmt.Sprintf(format, args...)))
	}
	seen := map[string]bool{}
	for _, o := range objects {
		key := o.Kind + "/" + o.Name
		if seen[key] {
			report(o, "defined twice")
		}
		seen[key] = true
		if want, ok := apiVersions[o.Kind]; !ok {
			report(o, "unexpected kind")
		} else if got := str(o.Body, "apiVersion"); got != want {
			report(o, "apiVersion %q, want %q", got, want)
		}
		if len(o.Name) > 63 || !dnsLabel.MatchString(o.Name) {
			report(o, "name is not a DNS label (a-z, 0-9, '-', at most 63)")
		}
		labels := mapAt(o.Body, "metadata", "labels")
		for _, label := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/managed-by", "helm.sh/chart"} {
			if _, ok := labels[label]; !ok {
				report(o, "label %s missing", label)
			}
		}
		for label, value := range labels {
			if s, ok := value.(string); !ok || len(s) > 63 {
				report(o, "label %s must be a string of at most 63 characters, is %#v", label, value)
			}
		}
		switch o.Kind {
		case "Deployment":
			problems = append(problems, checkDeployment(o, objects)...)
		case "Job":
			problems = append(problems, checkJob(o, objects)...)
		case "Service":
			problems = append(problems, checkService(o, objects)...)
		case "Secret":
			if str(o.Body, "metadata", "annotations", "helm.sh/hook") == "" {
				report(o, "a chart-created Secret must be a pre-install hook, or the migration Job runs before it exists")
			}
		}
	}
	return problems
}

func checkDeployment(o Object, objects []Object) []string {
	var problems []string
	report := func(format string, args ...interface{}) {
		problems = append(problems, fmt.Sprintf("Deployment %s: %s", o.Name, fmt.Sprintf(format, args...)))
	}
	selector := mapAt(o.Body, "spec", "selector", "matchLabels")
	podLabels := mapAt(o.Body, "spec", "template", "metadata", "labels")
	if len(selector) == 0 {
		report("spec.selector.matchLabels is empty")
	}
	for k, v := range selector {
		if podLabels[k] != v {
			report("selector %s=%v does not match the pod template's labels", k, v)
		}
	}
	if _, ok := at(o.Body, "spec", "replicas").(int); !ok {
		report("spec.replicas is not an integer")
	}
	pod := mapAt(o.Body, "spec", "template", "spec")
	problems = append(problems, checkPod("Deployment "+o.Name, pod, objects, true)...)
	return problems
}

func checkJob(o Object, objects []Object) []string {
	var problems []string
	hooks := str(o.Body, "metadata", "annotations", "helm.sh/hook")
	if !strings.Contains(hooks, "pre-install") || !strings.Contains(hooks, "pre-upgrade") {
		problems = append(problems, fmt.Sprintf("Job %s: must be a pre-install,pre-upgrade hook, is %q", o.Name, hooks))
	}
	pod := mapAt(o.Body, "spec", "template", "spec")
	if str(pod, "restartPolicy") != "Never" && str(pod, "restartPolicy") != "OnFailure" {
		problems = append(problems, fmt.Sprintf("Job %s: restartPolicy must be Never or OnFailure", o.Name))
	}
	for _, c := range containers(pod) {
		args := fmt.Sprint(at(c, "args"))
		if !strings.Contains(args, "migrate") {
			problems = append(problems, fmt.Sprintf("Job %s: container %s does not run migrate (args %s)", o.Name, str(c, "name"), args))
		}
	}
	problems = append(problems, checkPod("Job "+o.Name, pod, objects, false)...)
	return problems
}

// checkPod: security, resources, probes (for long-running pods), volumes, and references to Secrets and claims.
func checkPod(owner string, pod map[string]interface{}, objects []Object, service bool) []string {
	var problems []string
	report := func(format string, args ...interface{}) {
		problems = append(problems, fmt.Sprintf("%s: %s", owner, fmt.Sprintf(format, args...)))
	}
	if at(pod, "securityContext", "runAsNonRoot") != true {
		report("securityContext.runAsNonRoot must be true")
	}
	if at(pod, "automountServiceAccountToken") != false {
		report("automountServiceAccountToken must be false (the services do not call the Kubernetes API)")
	}
	volumes := map[string]map[string]interface{}{}
	for _, item := range list(pod, "volumes") {
		v, _ := item.(map[string]interface{})
		volumes[str(v, "name")] = v
	}
	all := containers(pod)
	if len(all) == 0 {
		report("no containers")
	}
	for _, c := range all {
		name := str(c, "name")
		creport := func(format string, args ...interface{}) {
			report("container %s: %s", name, fmt.Sprintf(format, args...))
		}
		if str(c, "image") == "" || strings.HasSuffix(str(c, "image"), ":") {
			creport("image missing or without tag: %q", str(c, "image"))
		}
		for _, kind := range []string{"requests", "limits"} {
			for _, resource := range []string{"cpu", "memory"} {
				if at(c, "resources", kind, resource) == nil {
					creport("resources.%s.%s missing", kind, resource)
				}
			}
		}
		sc := mapAt(c, "securityContext")
		if sc["readOnlyRootFilesystem"] != true {
			creport("securityContext.readOnlyRootFilesystem must be true")
		}
		if sc["allowPrivilegeEscalation"] != false {
			creport("securityContext.allowPrivilegeEscalation must be false")
		}
		if !strings.Contains(fmt.Sprint(at(sc, "capabilities", "drop")), "ALL") {
			creport("securityContext.capabilities.drop must contain ALL")
		}
		mounts := map[string]string{}
		for _, item := range list(c, "volumeMounts") {
			m, _ := item.(map[string]interface{})
			mounts[str(m, "mountPath")] = str(m, "name")
			if _, ok := volumes[str(m, "name")]; !ok {
				creport("volumeMount %s refers to no volume", str(m, "name"))
			}
		}
		if tmp, ok := mounts["/tmp"]; !ok || at(volumes[tmp], "emptyDir") == nil {
			creport("/tmp must be an emptyDir mount (the root filesystem is read-only)")
		}
		envNames := map[string]bool{}
		for _, item := range list(c, "env") {
			e, _ := item.(map[string]interface{})
			envName := str(e, "name")
			if envNames[envName] {
				creport("env %s set twice", envName)
			}
			envNames[envName] = true
			if _, isString := e["value"].(string); e["value"] != nil && !isString {
				creport("env %s value must be a string, is %#v", envName, e["value"])
			}
		}
		if service {
			ports := map[string]int{}
			for _, item := range list(c, "ports") {
				p, _ := item.(map[string]interface{})
				port, _ := p["containerPort"].(int)
				ports[str(p, "name")] = port
			}
			if ports["grpc"] != 8080 || ports["http"] != 8081 {
				creport("ports must be grpc 8080 and http 8081, are %v", ports)
			}
			// The byte stream (Platform__Ports__Transfers, default 8082): the model store serves it, the gateway relays it.
			if n, isServer := byteStreamServers[name]; isServer && ports["transfers"] != 8082 {
				creport("the %s must have port transfers 8082 (the byte stream), has %v", n, ports)
			}
			for probe, path := range map[string]string{"livenessProbe": "/health/live", "readinessProbe": "/health/ready"} {
				if str(c, probe, "httpGet", "path") != path || fmt.Sprint(at(c, probe, "httpGet", "port")) != "http" {
					creport("%s must GET %s on port http", probe, path)
				}
			}
		}
	}
	for _, v := range volumes {
		if claim := str(v, "persistentVolumeClaim", "claimName"); claim != "" && !exists(objects, "PersistentVolumeClaim", claim) {
			report("volume %s uses claim %s, which the chart does not create (existingClaim)", str(v, "name"), claim)
		}
	}
	return problems
}

func checkService(o Object, objects []Object) []string {
	var problems []string
	selector := mapAt(o.Body, "spec", "selector")
	matched := false
	for _, d := range objects {
		if d.Kind != "Deployment" {
			continue
		}
		labels := mapAt(d.Body, "spec", "template", "metadata", "labels")
		all := len(selector) > 0
		for k, v := range selector {
			if labels[k] != v {
				all = false
			}
		}
		if !all {
			continue
		}
		matched = true
		names := map[string]bool{}
		for _, c := range containers(mapAt(d.Body, "spec", "template", "spec")) {
			for _, item := range list(c, "ports") {
				p, _ := item.(map[string]interface{})
				names[str(p, "name")] = true
			}
		}
		for _, item := range list(o.Body, "spec", "ports") {
			p, _ := item.(map[string]interface{})
			if target, ok := p["targetPort"].(string); ok && !names[target] {
				problems = append(problems, fmt.Sprintf("Service %s: targetPort %s is not a port of Deployment %s", o.Name, target, d.Name))
			}
		}
	}
	if !matched {
		problems = append(problems, fmt.Sprintf("Service %s: selector %v matches no Deployment's pods", o.Name, selector))
	}
	return problems
}

// SecretRefs lists every Secret name the workloads read, sorted.
func SecretRefs(objects []Object) []string {
	set := map[string]bool{}
	for _, o := range objects {
		for _, c := range containers(mapAt(o.Body, "spec", "template", "spec")) {
			for _, item := range list(c, "env") {
				e, _ := item.(map[string]interface{})
				if name := str(e, "valueFrom", "secretKeyRef", "name"); name != "" {
					set[name] = true
				}
			}
		}
	}
	var names []string
	for name := range set {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Count returns how many objects of a kind were rendered.
func Count(objects []Object, kind string) int {
	n := 0
	for _, o := range objects {
		if o.Kind == kind {
			n++
		}
	}
	return n
}

func exists(objects []Object, kind, name string) bool {
	for _, o := range objects {
		if o.Kind == kind && o.Name == name {
			return true
		}
	}
	return false
}

func containers(pod map[string]interface{}) []map[string]interface{} {
	var out []map[string]interface{}
	for _, key := range []string{"initContainers", "containers"} {
		for _, item := range list(pod, key) {
			if c, ok := item.(map[string]interface{}); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

func at(node interface{}, path ...string) interface{} {
	for _, key := range path {
		m, ok := node.(map[string]interface{})
		if !ok {
			return nil
		}
		node = m[key]
	}
	return node
}

func str(node interface{}, path ...string) string {
	s, _ := at(node, path...).(string)
	return s
}

func mapAt(node interface{}, path ...string) map[string]interface{} {
	m, _ := at(node, path...).(map[string]interface{})
	return m
}

func list(node interface{}, path ...string) []interface{} {
	l, _ := at(node, path...).([]interface{})
	return l
}

func numbered(text string) string {
	lines := strings.Split(text, "\n")
	for i := range lines {
		lines[i] = fmt.Sprintf("%4d  %s", i+1, lines[i])
	}
	return strings.Join(lines, "\n")
}

// byteStreamServers: the containers that listen on the byte stream's port, by container name.
var byteStreamServers = map[string]string{"model-store": "model store", "gateway": "gateway"}
