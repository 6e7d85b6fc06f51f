package main

// A small stand-in for `helm template`: Go's text/template with Sprig (the engine Helm uses) plus the
// Helm-specific functions and objects this chart needs. It is not Helm; it exists so the chart can be
// rendered and checked on machines without the helm binary.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

// Chart is a chart directory read from disk.
type Chart struct {
	Dir       string
	Meta      map[string]interface{} // Chart.yaml, keys as Helm exposes them (.Chart.Name, .Chart.AppVersion, ...)
	Values    map[string]interface{} // values.yaml
	Schema    []byte                 // values.schema.json, if any
	Templates map[string]string      // "<chart>/templates/<path>" -> text
}

// Release is what a template sees as .Release.
type Release struct {
	Name      string
	Namespace string
	IsInstall bool
	IsUpgrade bool
	Revision  int
	Service   string
}

// Rendered is the output of one render: manifests by template, and NOTES.txt.
type Rendered struct {
	Manifests map[string]string
	Notes     string
}

// LoadChart reads Chart.yaml, values.yaml, values.schema.json and templates/ of a chart directory.
func LoadChart(dir string) (*Chart, error) {
	chart := &Chart{Dir: dir, Templates: map[string]string{}}
	var raw map[string]interface{}
	if err := readYAML(filepath.Join(dir, "Chart.yaml"), &raw); err != nil {
		return nil, err
	}
	chart.Meta = map[string]interface{}{}
	for key, value := range raw {
		// Helm exposes Chart.yaml fields with Go field names: appVersion -> .Chart.AppVersion.
		chart.Meta[strings.ToUpper(key[:1])+key[1:]] = value
	}
	name, _ := chart.Meta["Name"].(string)
	if name == "" {
		return nil, fmt.Errorf("%s/Chart.yaml: name is required", dir)
	}
	if err := readYAML(filepath.Join(dir, "values.yaml"), &chart.Values); err != nil {
		return nil, err
	}
	if chart.Values == nil {
		chart.Values = map[string]interface{}{}
	}
	if schema, err := os.ReadFile(filepath.Join(dir, "values.schema.json")); err == nil {
		chart.Schema = schema
	}
	root := filepath.Join(dir, "templates")
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		chart.Templates[name+"/"+filepath.ToSlash(rel)] = string(text)
		return nil
	})
	return chart, err
}

func readYAML(path string, out interface{}) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// MergeValues returns base with override laid over it, maps merged key by key (like helm -f).
func MergeValues(base, override map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range override {
		if ov, ok := v.(map[string]interface{}); ok {
			if bv, ok := out[k].(map[string]interface{}); ok {
				out[k] = MergeValues(bv, ov)
				continue
			}
		}
		if v == nil {
			delete(out, k) // helm: null removes a default
			continue
		}
		out[k] = v
	}
	return out
}

// Render executes every template of the chart with the given values, as `helm template` would.
func Render(chart *Chart, values map[string]interface{}, release Release) (*Rendered, error) {
	root := template.New("chart")
	funcs := sprig.TxtFuncMap()
	// Helm removes these from Sprig for security; so do we, so the chart cannot come to rely on them.
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = func(text string) map[string]interface{} {
		out := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(text), &out); err != nil {
			out["Error"] = err.Error()
		}
		return out
	}
	funcs["required"] = func(message string, value interface{}) (interface{}, error) {
		if value == nil {
			return nil, fmt.Errorf("%s", message)
		}
		if s, ok := value.(string); ok && s == "" {
			return nil, fmt.Errorf("%s", message)
		}
		return value, nil
	}
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil // like `helm template`: no cluster to look in
	}
	root.Funcs(funcs).Option("missingkey=zero")

	names := make([]string, 0, len(chart.Templates))
	for name := range chart.Templates {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := root.New(name).Parse(chart.Templates[name]); err != nil {
			return nil, err
		}
	}

	chartName := chart.Meta["Name"].(string)
	out := &Rendered{Manifests: map[string]string{}}
	for _, name := range names {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") {
			continue
		}
		data := map[string]interface{}{
			"Values":  values,
			"Chart":   chart.Meta,
			"Release": release,
			"Capabilities": map[string]interface{}{
				"KubeVersion": map[string]interface{}{"Version": "v1.30.0", "Major": "1", "Minor": "30"},
				"APIVersions": []string{"v1", "apps/v1", "batch/v1"},
			},
			"Template": map[string]interface{}{"Name": name, "BasePath": chartName + "/templates"},
			"Files":    map[string]interface{}{},
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return nil, err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if base == "NOTES.txt" {
			out.Notes = text
		} else {
			out.Manifests[name] = text
		}
	}
	return out, nil
}

// toYAML is Helm's toYaml: block YAML, two-space indent, no trailing newline; errors become "".
func toYAML(value interface{}) string {
	var buf bytes.Buffer
	encoder := yaml.NewEncoder(&buf)
	encoder.SetIndent(2)
	if err := encoder.Encode(value); err != nil {
		return ""
	}
	_ = encoder.Close()
	return strings.TrimSuffix(buf.String(), "\n")
}

var documentSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// Documents splits rendered manifests into YAML documents, in template order, skipping empty ones.
func (r *Rendered) Documents() []Document {
	names := make([]string, 0, len(r.Manifests))
	for name := range r.Manifests {
		names = append(names, name)
	}
	sort.Strings(names)
	var docs []Document
	for _, name := range names {
		for _, text := range documentSeparator.Split(r.Manifests[name], -1) {
			if strings.TrimSpace(stripComments(text)) == "" {
				continue
			}
			docs = append(docs, Document{Source: name, Text: text})
		}
	}
	return docs
}

// Document is one rendered YAML document and the template it came from.
type Document struct {
	Source string
	Text   string
}

func stripComments(text string) string {
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}
