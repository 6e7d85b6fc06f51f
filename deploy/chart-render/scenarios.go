package main

import (
	"fmt"
	"strings"
)

// Scenario is one set of values laid over the defaults and what rendering them must give.
type Scenario struct {
	Name        string
	Release     string
	Values      map[string]interface{}
	SchemaError string         // the schema must reject the values with a problem containing this
	RenderError string         // rendering must fail with an error containing this
	Kinds       map[string]int // how many objects of each kind
	SecretRefs  []string       // the Secrets the workloads read
	Extra       func([]Object, *Rendered) []string
	Tolerate    string // a problem containing this is expected (e.g. a claim that exists outside the chart)
}

type values = map[string]interface{}

var workloads = map[string]int{"Deployment": 4, "Service": 4, "Job": 1}

func withKinds(extra map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range workloads {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

var scenarios = []Scenario{
	{
		Name:       "defaults: four services, a migration hook, a blob claim, no Secret objects (they are the user's)",
		Kinds:      withKinds(map[string]int{"PersistentVolumeClaim": 1, "Secret": 0}),
		SecretRefs: []string{"demo-platform-database", "demo-platform-rabbitmq"},
		Extra: func(objects []Object, rendered *Rendered) []string {
			var problems []string
			env := envOf(objects, "demo-platform-gateway")
			if env["Services__Scheduler"] != "http://demo-platform-scheduler:8080" || env["Services__ModelStore"] != "http://demo-platform-model-store:8080" {
				problems = append(problems, fmt.Sprintf("gateway backend addresses wrong: %v", env))
			}
			scheduler := envOf(objects, "demo-platform-scheduler")
			for key, want := range map[string]string{"Database__Provider": "Postgres", "Messaging__Transport": "RabbitMq", "Database__CreateOnStartup": "false"} {
				if scheduler[key] != want {
					problems = append(problems, fmt.Sprintf("scheduler %s = %q, want %q", key, scheduler[key], want))
				}
			}
			if envOf(objects, "demo-platform-model-store")["BlobStore__Root"] != "/data/blobs" {
				problems = append(problems, "model-store BlobStore__Root is not /data/blobs")
			}
			if envOf(objects, "demo-platform-worker")["Worker__Concurrency"] != "1" {
				problems = append(problems, "worker Worker__Concurrency is not \"1\"")
			}
			if !strings.Contains(rendered.Notes, "create secret generic demo-platform-database") {
				problems = append(problems, "NOTES.txt does not say how to create the database Secret")
			}
			return problems
		},
	},
	{
		Name:    "release named like the chart: names are not doubled",
		Release: "platform",
		Kinds:   withKinds(nil),
		Extra: func(objects []Object, _ *Rendered) []string {
			if !exists(objects, "Deployment", "platform-gateway") {
				return []string{"want Deployment platform-gateway"}
			}
			return nil
		},
	},
	{
		Name: "development: connection strings in values become hook Secrets",
		Values: values{
			"database": values{"connectionStrings": values{"scheduler": "Host=pg;Database=scheduler", "modelStore": "Host=pg;Database=model_store"}},
			"rabbitmq": values{"uri": "amqp://platform:secret@mq:5672/platform"},
		},
		Kinds:      withKinds(map[string]int{"Secret": 2}),
		SecretRefs: []string{"demo-platform-database", "demo-platform-rabbitmq"},
	},
	{
		Name: "existing Secrets and claim are used by name and not created",
		Values: values{
			"database":   values{"existingSecret": "pg-connections"},
			"rabbitmq":   values{"existingSecret": "mq-connection"},
			"modelStore": values{"blobs": values{"persistence": values{"existingClaim": "model-blobs"}}},
		},
		Kinds:      withKinds(map[string]int{"Secret": 0, "PersistentVolumeClaim": 0}),
		SecretRefs: []string{"mq-connection", "pg-connections"},
		Tolerate:   "uses claim model-blobs, which the chart does not create",
		Extra: func(objects []Object, _ *Rendered) []string {
			for _, o := range objects {
				if o.Kind == "Deployment" && o.Name == "demo-platform-model-store" {
					for _, item := range list(o.Body, "spec", "template", "spec", "volumes") {
						if str(item, "persistentVolumeClaim", "claimName") == "model-blobs" {
							return nil
						}
					}
				}
			}
			return []string{"model-store does not mount the existing claim model-blobs"}
		},
	},
	{
		Name:   "without persistence the blobs live in an emptyDir and the pod may roll",
		Values: values{"modelStore": values{"blobs": values{"persistence": values{"enabled": false}}}},
		Kinds:  withKinds(map[string]int{"PersistentVolumeClaim": 0}),
		Extra: func(objects []Object, _ *Rendered) []string {
			for _, o := range objects {
				if o.Name == "demo-platform-model-store" && o.Kind == "Deployment" && at(o.Body, "spec", "strategy") != nil {
					return []string{"model-store should keep the default rolling strategy without a ReadWriteOnce volume"}
				}
			}
			return nil
		},
	},
	{
		Name:   "migrations can be turned off",
		Values: values{"migrations": values{"enabled": false}},
		Kinds:  map[string]int{"Deployment": 4, "Service": 4, "Job": 0},
	},
	{
		Name:        "schema: a misspelt key is rejected",
		Values:      values{"gateway": values{"replicas": 3}},
		SchemaError: "gateway.replicas: unknown key",
	},
	{
		Name:        "schema: a wrong type is rejected",
		Values:      values{"worker": values{"concurrency": "two"}},
		SchemaError: "worker.concurrency: is string",
	},
	{
		Name:        "schema: resources without limits are rejected",
		Values:      values{"scheduler": values{"resources": values{"limits": nil}}},
		SchemaError: "missing required key \"limits\"",
	},
	{
		Name:        "half the connection strings fail with a message naming the missing one",
		Values:      values{"database": values{"connectionStrings": values{"scheduler": "Host=pg"}}},
		RenderError: "database.connectionStrings.modelStore is required",
	},
	{
		Name: "an existing Secret and connection strings together are refused",
		Values: values{"database": values{
			"existingSecret":    "pg-connections",
			"connectionStrings": values{"scheduler": "Host=pg", "modelStore": "Host=pg"},
		}},
		RenderError: "either existingSecret or connectionStrings",
	},
}

// envOf returns the plain (non-secret) environment of a Deployment's first container.
func envOf(objects []Object, deployment string) map[string]string {
	env := map[string]string{}
	for _, o := range objects {
		if o.Kind != "Deployment" || o.Name != deployment {
			continue
		}
		for _, c := range containers(mapAt(o.Body, "spec", "template", "spec")) {
			for _, item := range list(c, "env") {
				e, _ := item.(map[string]interface{})
				if v, ok := e["value"].(string); ok {
					env[str(e, "name")] = v
				}
			}
			break
		}
	}
	return env
}
